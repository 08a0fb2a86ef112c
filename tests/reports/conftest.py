from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.models import Conversation, Message, Team
from reports.services import report_conversations_refresh
from tests.factories import ChannelFactory, ContactFactory, LabelFactory

BANGKOK = ZoneInfo("Asia/Bangkok")
# A fixed Tuesday morning in Bangkok; pages are asked for that day with ?period=custom.
DAY = datetime(2026, 11, 17, 9, 0, tzinfo=BANGKOK)


def answered(tenant, channel, contact, agent, *, at, reply_after, resolve=True, campaign=""):
    """A customer writes at `at`, `agent` answers `reply_after` later, then resolves."""
    conversation = Conversation.objects.create(
        tenant=tenant, channel=channel, contact=contact, created_at=at, assignee=agent,
        campaign_name=campaign, status="resolved" if resolve else "open",
        last_customer_message_at=at,
    )  # fmt: skip
    rows = [("message", "in", "customer", None, {}, timedelta(0))]
    rows.append(("message", "out", "agent", agent, {}, reply_after))
    if resolve:
        rows.append(("activity", "out", "agent", agent, {"status": "resolved"}, reply_after * 2))
    for kind, direction, author_kind, user, metadata, after in rows:
        Message.objects.create(
            tenant=tenant, conversation=conversation, channel=channel, kind=kind,
            direction=direction, author_kind=author_kind, author_user=user, metadata=metadata,
            text="hello", created_at=at + after,
        )  # fmt: skip
    return conversation


@pytest.fixture
def history(tenant_a, owner_a, agent_a, admin_a):
    """Agent A answers 2 conversations in 5 minutes; the admin answers one in an hour and
    leaves one open (unanswered, on the TikTok campaign)."""
    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    channel = ChannelFactory(tenant=tenant_a, name="Shop WhatsApp")
    contact = ContactFactory(tenant=tenant_a, name="Mali")
    label = LabelFactory(tenant=tenant_a, name="VIP")
    made = [
        answered(tenant_a, channel, contact, agent_a, at=DAY, reply_after=timedelta(minutes=5)),
        answered(
            tenant_a,
            channel,
            contact,
            agent_a,
            at=DAY + timedelta(hours=2),
            reply_after=timedelta(minutes=5),
            campaign="Big sale",
        ),  # fmt: skip
        answered(tenant_a, channel, contact, admin_a, at=DAY, reply_after=timedelta(hours=1)),
    ]
    waiting = Conversation.objects.create(
        tenant=tenant_a, channel=channel, contact=contact, created_at=DAY,
        campaign_name="Big sale", last_customer_message_at=DAY,
    )  # fmt: skip
    Message.objects.create(
        tenant=tenant_a, conversation=waiting, channel=channel, direction="in",
        author_kind="customer", text="anyone?", created_at=DAY,
    )  # fmt: skip
    made[0].labels.add(label)
    team = Team.objects.create(tenant=tenant_a, name="Night shift")
    Conversation.objects.filter(pk__in=[made[0].pk, waiting.pk]).update(team=team)
    report_conversations_refresh([c.pk for c in made] + [waiting.pk])
    return {
        "channel": channel, "label": label, "team": team, "conversations": made,
        "waiting": waiting,
    }  # fmt: skip


def day_query(**extra):
    return {"period": "custom", "start": "2026-11-17", "end": "2026-11-17", **extra}
