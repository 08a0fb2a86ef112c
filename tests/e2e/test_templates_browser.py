"""An agent follows up a WhatsApp customer whose 24-hour window closed two days ago: picks a
template in the composer, sees the variables prefilled and the preview, sends it; the fake
WhatsApp API accepts it and the thread shows the rendered text — in headless Chromium."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Message, MessageTemplate
from inbox.services.templates import templates_sync
from inbox.simulator.fakes import whatsapp_templates as fake_templates
from inbox.simulator.store import DatabaseStore
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lan(tenant_a, settings):
    settings.SIMULATOR_ENABLED = True
    channel = ChannelFactory(
        tenant=tenant_a,
        provider="whatsapp",
        name="Shop WA",
        account_id="106540399",
        waba_id="102290199",
        settings={"simulator": True},
        credentials={"access_token": "EAA.wa.t"},
    )
    fake_templates.seed(DatabaseStore(), "102290199", ["106540399"])
    templates_sync(channel=channel)
    follow_up = MessageTemplate.objects.get(name="follow_up", language="en_US")
    follow_up.variable_map = {"body.1": "contact.first_name"}
    follow_up.save()
    two_days_ago = timezone.now() - timedelta(days=2)
    conversation = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        contact=ContactFactory(tenant=tenant_a, name="Lan Nguyen"),
        last_message_preview="Is the blue one back in stock?",
        last_customer_message_at=two_days_ago,
        last_message_at=two_days_ago,
    )
    message = MessageFactory(conversation=conversation, text="Is the blue one back in stock?")
    Message.objects.filter(pk=message.pk).update(created_at=two_days_ago)
    ContactIdentityFactory(
        tenant=tenant_a, contact=conversation.contact, channel=channel, external_id="84912345678"
    )
    return conversation


def test_an_agent_sends_a_template_after_the_window_closed(new_page, tenant_a, agent_a, lan):
    page = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/?c={lan.pk}")
    expect(page.locator("#reply-window")).to_contain_text("Replies are closed")
    form = page.locator("#template-form")
    expect(form).to_be_visible()
    form.locator("#template-select").select_option(label="follow_up · en_US")
    variable = form.locator('input[name="var:body.1"]')
    expect(variable).to_have_value("Lan")
    preview = form.locator("#template-preview")
    expect(preview).to_contain_text("Hi Lan, are you still interested?")
    variable.fill("Lan Anh")
    expect(preview).to_contain_text("Hi Lan Anh, are you still interested?")
    form.locator("#template-send").click()
    sent = page.locator("#messages .msg-out").last
    expect(sent).to_contain_text("Hi Lan Anh, are you still interested? Reply to continue.")
    expect(sent.locator(".delivery")).to_contain_text(
        re.compile("Sent|Delivered|Read"), timeout=10_000
    )
    message = Message.objects.get(conversation=lan, metadata__template__name="follow_up")
    assert message.author_user == agent_a and message.status in ("sent", "delivered", "read")
