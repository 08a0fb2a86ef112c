"""Templates beyond the composer: an automation rule's "send a template" action, booking
reminders and order summaries when the WhatsApp reply window is closed — through the signed
webhook, the real services and the fake WhatsApp API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.automation import services as automation
from inbox.commerce import notify
from inbox.commerce import services as commerce
from inbox.models import Conversation, Message, MessageTemplate
from inbox.services.templates import templates_sync
from inbox.simulator.fakes import whatsapp_templates as fake_templates
from inbox.simulator.store import DatabaseStore
from keywords import clear_matcher_cache
from tests.commerce.factories import make_booking, make_order
from tests.providers.helpers import WHATSAPP_PHONE_ID, WHATSAPP_WABA_ID

from .conftest import fake_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(whatsapp_channel):
    fake_templates.seed(DatabaseStore(), WHATSAPP_WABA_ID, [WHATSAPP_PHONE_ID])
    templates_sync(channel=whatsapp_channel)
    return {t.name: t for t in MessageTemplate.objects.filter(language="en_US")}


@pytest.fixture
def closed(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "message_text")
    conversation = Conversation.objects.get(channel=whatsapp_channel)
    conversation.last_customer_message_at = timezone.now() - timedelta(days=2)
    conversation.save()
    conversation.contact.name = "Somchai Jaidee"
    conversation.contact.save()
    return conversation


def sent_templates() -> list[dict]:
    return [r["json"]["template"] for r in fake_requests("/messages") if r["json"].get("template")]


def test_a_booking_reminder_goes_as_the_chosen_template_when_the_window_is_closed(
    tenant_a, templates, closed, django_capture_on_commit_callbacks
):
    reminder = templates["booking_reminder"]
    reminder.purpose = "booking_reminder"
    reminder.variable_map = {
        "body.1": "contact.first_name",
        "body.2": "booking.service",
        "body.3": "booking.date",
    }
    reminder.save()
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    booking = make_booking(
        tenant=tenant_a, conversation=closed, start=start, reminder_minutes_before=25 * 60
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert commerce.booking_reminder_send(booking_id=booking.pk) is True
    (sent,) = sent_templates()
    date = notify.booking_context(booking)["booking.date"]
    assert sent["name"] == "booking_reminder"
    assert [p["text"] for p in sent["components"][0]["parameters"]] == ["Somchai", "Haircut", date]
    message = Message.objects.get(metadata__template__name="booking_reminder")
    assert message.text == f"Hi Somchai, a reminder of your booking: Haircut on {date}."
    assert message.rule_name == "Booking reminder" and message.status == "sent"


def test_an_order_summary_without_a_chosen_template_is_refused_with_the_window_reason(
    tenant_a, templates, closed
):
    order = make_order(tenant=tenant_a, conversation=closed)
    with pytest.raises(notify.SendFailed, match="24 hours"):
        commerce.order_send_summary(order=order)
    order_update = templates["order_update"]
    order_update.purpose = "order_summary"
    order_update.variable_map = {
        "header.1": "order.number",
        "body.1": "contact.first_name",
        "body.2": "order.number",
    }
    order_update.save()
    message = commerce.order_send_summary(order=order)
    assert message.text.startswith(f"Order {order.number}\nHi Somchai, your order {order.number}")


@pytest.fixture
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


def test_an_automation_rule_sends_its_template(
    tenant_a, templates, whatsapp_channel, post_webhook, _fresh_matchers
):
    follow_up = templates["follow_up"]
    follow_up.variable_map = {"body.1": "contact.first_name"}
    follow_up.save()
    automation.rule_save(
        tenant=tenant_a,
        actor=None,
        data={"name": "Still there", "trigger": "welcome", "send_template": follow_up},
        keywords=[],
    )
    post_webhook("whatsapp", "message_text")
    (sent,) = sent_templates()
    assert sent["name"] == "follow_up"
    message = Message.objects.get(metadata__template__name="follow_up")
    assert message.author_kind == "bot" and message.rule_name == "Still there"
    assert message.text.startswith("Hi ") and "are you still interested?" in message.text


def test_the_rule_form_asks_for_the_variables_sources_first(
    tenant_a, templates, owner_a, client_for
):
    response = client_for(owner_a).post(
        "/t/tenant-a/automation/rules/new/",
        {
            "name": "Follow up",
            "enabled": "on",
            "trigger": "welcome",
            "keyword_logic": "any",
            "keyword_mode": "whole_word",
            "cooldown_minutes": "60",
            "send_template": templates["follow_up"].pk,
        },
    )
    assert response.status_code == 200
    assert "Choose where the variables {{1}} (body) come from" in response.content.decode()
