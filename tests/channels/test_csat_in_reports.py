"""CSAT in the reports, through the real paths: a signed customer message, an auto-reply, an
agent's answer, resolving (which sends the satisfaction question) and the customer's rating.
The first response is the agent's — not the auto-reply's, not the question's — the rating is
neither a customer message nor a reopening, and it shows as a CSAT response of the assignee,
the channel and the label, equal to the direct computation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import CsatSurvey, Message
from inbox.services.conversations import conversation_set_status
from inbox.services.sending import message_send
from reports.direct import direct_figures
from reports.figures import Scope
from reports.histogram import figures_differences, within_bound
from reports.periods import Period
from reports.selectors import report_breakdown, report_figures
from reports.services import report_sweep
from tenants.locale import tenant_zone
from tests.channels import test_csat
from tests.factories import LabelFactory

pytestmark = pytest.mark.django_db
customer_says = test_csat.customer_says  # the fixture: a signed customer message


def test_csat_counts_in_the_reports_and_first_response_ignores_bot_messages(
    all_channels, customer_says, owner_a, agent_a, tenant_a, django_capture_on_commit_callbacks
):
    channel = all_channels["whatsapp"]
    channel.csat_enabled = True
    channel.save()
    wrote = timezone.now() - timedelta(minutes=30)
    conversation = customer_says(channel, "Is the blue one in stock?", at=wrote)
    conversation.assignee = agent_a
    conversation.save()
    conversation.labels.add(LabelFactory(tenant=tenant_a, name="VIP"))
    with django_capture_on_commit_callbacks(execute=True):
        away = wrote + timedelta(seconds=2)
        message_send(conversation=conversation, text="We are away, back soon.",
                     author_kind="bot", rule_name="Away", now=away)  # fmt: skip
        answer = wrote + timedelta(minutes=12)
        message_send(conversation=conversation, text="Yes, it is!", author_user=agent_a,
                     now=answer)  # fmt: skip
        conversation_set_status(conversation=conversation, status="resolved", actor=agent_a)
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert survey.status == "asked" and survey.question.author_kind == "bot"
    customer_says(channel, "5")
    survey.refresh_from_db()
    assert survey.status == "rated" and survey.rating == 5
    report_sweep()

    today = timezone.now().astimezone(tenant_zone(tenant_a)).date()
    period = Period("custom", today - timedelta(days=1), today + timedelta(days=1),
                    tenant_zone(tenant_a))  # fmt: skip
    figures = report_figures(tenant_a, period, Scope())
    assert figures.first_responses == 1
    # 12 minutes: the agent's answer, not the auto-reply 2 s in, nor the CSAT question
    assert within_bound(figures.first_response_median, 12 * 60)
    assert figures.messages_in == 1  # the rating is not a customer message …
    assert figures.resolved == 1 and figures.open == 0  # … and did not reopen it
    assert figures.messages_out == 3  # the auto-reply, the answer and the question
    assert figures.bot_handled_share == 0 and figures.replies_per_resolution == 1
    assert (figures.csat_responses, figures.csat_average, figures.csat_satisfied_share) == (
        1,
        5.0,
        1.0,
    )
    assert figures_differences(figures, direct_figures(tenant_a, period, Scope())) == []
    # The rating belongs to the assignee, the channel and the label; the agent sees it too.
    assert report_breakdown(tenant_a, period, Scope(), "agent")[agent_a.pk].csat_average == 5.0
    assert report_breakdown(tenant_a, period, Scope(), "channel")[channel.pk].csat_responses == 1
    (label_row,) = report_breakdown(tenant_a, period, Scope(), "label").values()
    assert label_row.csat_responses == 1
    own = report_figures(tenant_a, period, Scope(agent_id=agent_a.pk))
    assert own.csat_responses == 1 and own.first_responses == 1
    assert report_figures(tenant_a, period, Scope(agent_id=owner_a.pk)).csat_responses == 0
    assert Message.objects.filter(conversation=conversation, kind="activity",
                                  metadata__csat_rating=5).exists()  # fmt: skip
