"""WhatsApp message templates end to end: synced from the fake WhatsApp business account (on
connect, with the button, daily, on the signed status webhook), sent from the composer with
variables when the reply window is closed, and the fake's refusals shown in plain words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from inbox.models import Channel, Conversation, Message, MessageTemplate
from inbox.providers import whatsapp_templates
from inbox.services.sending import message_deliver
from inbox.services.templates import TemplateError, template_send, templates_sync
from inbox.simulator.fakes import whatsapp as fake_whatsapp
from inbox.simulator.fakes import whatsapp_templates as fake_templates
from inbox.simulator.store import DatabaseStore
from inbox.tasks import templates_sync_all_task
from tests.providers.helpers import WHATSAPP_PHONE_ID, WHATSAPP_WABA_ID

from .conftest import fake_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def waba(db):
    """The fake business account of the WhatsApp channel, with the starting templates."""
    store = DatabaseStore()
    fake_templates.seed(store, WHATSAPP_WABA_ID, [WHATSAPP_PHONE_ID])
    return store


def fake_template(store, name, language="en_US"):
    return next(
        t
        for t in store.templates(WHATSAPP_WABA_ID)
        if (t["name"], t["language"]) == (name, language)
    )


@pytest.fixture
def closed_conversation(whatsapp_channel, post_webhook):
    """A WhatsApp customer who last wrote two days ago: the reply window is closed."""
    post_webhook("whatsapp", "message_text")
    conversation = Conversation.objects.get(channel=whatsapp_channel)
    conversation.last_customer_message_at = timezone.now() - timedelta(days=2)
    conversation.save()
    conversation.contact.name = "Ada Lovelace"
    conversation.contact.save()
    return conversation


@pytest.fixture
def synced(whatsapp_channel, waba):
    templates_sync(channel=whatsapp_channel)
    return {
        (t.name, t.language): t for t in MessageTemplate.objects.filter(channel=whatsapp_channel)
    }


def test_sync_pages_through_the_business_account(whatsapp_channel, waba, monkeypatch):
    monkeypatch.setattr(whatsapp_templates, "PAGE_SIZE", 2)
    result = templates_sync(channel=whatsapp_channel)
    templates = MessageTemplate.objects.filter(channel=whatsapp_channel)
    assert result.added == len(fake_templates.STARTING_TEMPLATES) == templates.count()
    pages = fake_requests("/message_templates")
    assert len(pages) == 4 and pages[1]["query"]["after"]
    order = templates.get(name="order_update")
    assert order.status == "approved" and order.category == "UTILITY"
    assert order.variables == [("HEADER", "1"), ("BODY", "1"), ("BODY", "2")]
    assert templates.get(name="spring_sale").status == "paused"
    rejected = templates.get(name="summer_sale")
    assert rejected.status == "rejected" and rejected.rejection_reason == "PROMOTIONAL"
    assert {t.language for t in templates.filter(name="follow_up")} == {"en_US", "vi"}


def test_a_resync_keeps_what_parley_added_and_retires_deleted_templates(
    synced, waba, whatsapp_channel
):
    order = synced[("order_update", "en_US")]
    order.purpose = "order_summary"
    order.variable_map = {"body.1": "contact.name"}
    order.save()
    MessageTemplate.objects.create(
        tenant=whatsapp_channel.tenant,
        channel=whatsapp_channel,
        name="gone",
        language="en_US",
        status="approved",
    )
    result = templates_sync(channel=whatsapp_channel)
    assert result.gone == 1 and result.added == 0
    order.refresh_from_db()
    assert order.purpose == "order_summary" and order.variable_map == {"body.1": "contact.name"}
    assert MessageTemplate.objects.get(name="gone").status == "disabled"


def test_connecting_a_number_with_its_business_account_syncs_its_templates(
    tenant_a, owner_a, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner_a).post(
            "/t/tenant-a/settings/channels/whatsapp/",
            {
                "account_id": "1065400001",
                "waba_id": "1022900001",
                "access_token": "EAA.x.t",
                "simulator": "on",
            },
        )
    assert response.status_code == 302
    channel = Channel.objects.get(account_id="1065400001")
    names = set(MessageTemplate.objects.filter(channel=channel).values_list("name", flat=True))
    assert {"order_update", "follow_up", "csat_rating"} <= names


def test_the_channel_page_button_syncs_and_the_daily_task_syncs_every_channel(
    whatsapp_channel, waba, owner_a, client_for
):
    client = client_for(owner_a)
    response = client.post(f"/t/tenant-a/settings/channels/{whatsapp_channel.pk}/templates/sync/")
    assert response.status_code == 302
    page = client.get(f"/t/tenant-a/settings/channels/{whatsapp_channel.pk}/templates/")
    assert b"order_update" in page.content and b"Paused" in page.content
    MessageTemplate.objects.all().delete()
    assert templates_sync_all_task.apply().get() == 1
    assert MessageTemplate.objects.filter(channel=whatsapp_channel).count() == 7


def test_the_signed_status_webhook_pauses_a_template_and_sending_it_is_refused(
    synced, waba, post_webhook, closed_conversation, agent_a, client_for
):
    template = synced[("follow_up", "en_US")]
    (payload,) = fake_whatsapp.template_status_payloads(
        waba_id=WHATSAPP_WABA_ID, template=fake_template(waba, "follow_up"), event="PAUSED"
    )
    assert post_webhook("whatsapp", payload).status_code == 200
    template.refresh_from_db()
    assert template.status == "paused"
    response = client_for(agent_a).post(
        f"/t/tenant-a/inbox/c/{closed_conversation.pk}/template/",
        {"template": template.pk, "var:body.1": "Ada"},
    )
    assert response.status_code == 422
    assert "paused the template" in response.content.decode()
    assert not Message.objects.filter(metadata__has_key="template").exists()
    (payload,) = fake_whatsapp.template_status_payloads(
        waba_id=WHATSAPP_WABA_ID, template=fake_template(waba, "follow_up"), event="REINSTATED"
    )
    post_webhook("whatsapp", payload)
    template.refresh_from_db()
    assert template.status == "approved"


def test_the_composer_offers_templates_when_the_window_is_closed_prefilled_with_a_preview(
    synced, closed_conversation, agent_a, client_for
):
    template = synced[("order_update", "en_US")]
    template.variable_map = {"body.1": "contact.first_name"}
    template.save()
    client = client_for(agent_a)
    thread = client.get(
        f"/t/tenant-a/inbox/c/{closed_conversation.pk}/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="template-form"' in thread and "order_update · en_US" in thread
    assert "spring_sale" not in thread  # paused: not offered
    fields = client.get(
        f"/t/tenant-a/inbox/c/{closed_conversation.pk}/template/fields/",
        {"template": template.pk},
    ).content.decode()
    assert 'name="var:body.1" value="Ada"' in fields
    assert 'name="var:header.1" value=""' in fields
    preview = client.get(
        f"/t/tenant-a/inbox/c/{closed_conversation.pk}/template/fields/",
        {
            "template": template.pk,
            "part": "preview",
            "var:header.1": "#1042",
            "var:body.1": "Ada",
            "var:body.2": "#1042",
        },
    ).content.decode()
    assert "Order #1042" in preview and "Hi Ada, your order #1042 is on its way." in preview


def test_an_agent_sends_a_template_with_variables_and_the_thread_shows_the_text(
    synced, closed_conversation, agent_a, client_for, django_capture_on_commit_callbacks
):
    template = synced[("order_update", "en_US")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent_a).post(
            f"/t/tenant-a/inbox/c/{closed_conversation.pk}/template/",
            {
                "template": template.pk,
                "var:header.1": "#7",
                "var:body.1": "Ada",
                "var:body.2": "#7",
            },
        )
    assert response.status_code == 200
    message = Message.objects.get(metadata__template__name="order_update")
    assert message.status == "sent" and message.author_user == agent_a
    assert (
        message.text == "Order #7\nHi Ada, your order #7 is on its way. Reply here if you have any "
        "question.\nParley Shop"
    )
    assert "Hi Ada, your order #7 is on its way." in response.content.decode()
    (request,) = fake_requests("/messages")
    sent = request["json"]["template"]
    assert sent["name"] == "order_update" and sent["language"]["code"] == "en_US"
    assert sent["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "#7"}]},
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "Ada"}, {"type": "text", "text": "#7"}],
        },
    ]


def test_a_missing_variable_is_refused_in_plain_words_before_anything_is_sent(
    synced, closed_conversation, agent_a, client_for
):
    template = synced[("order_update", "en_US")]
    response = client_for(agent_a).post(
        f"/t/tenant-a/inbox/c/{closed_conversation.pk}/template/",
        {"template": template.pk, "var:header.1": "#7", "var:body.1": "Ada"},
    )
    assert response.status_code == 422
    assert "Fill in the variable {{2}} (body) of the template." in response.content.decode()
    with pytest.raises(TemplateError, match="needs 3 variable"):
        template_send(conversation=closed_conversation, template=template, variables=["a", "b"])
    assert fake_requests("/messages") == []


def test_wrong_parameter_count_from_whatsapp_shows_in_plain_translated_words(
    synced, waba, closed_conversation, agent_a, client_for
):
    """The template changed in WhatsApp Manager since the last sync: WhatsApp answers 132000."""
    data = fake_template(waba, "follow_up")
    data["components"] = [{"type": "BODY", "text": "Hi {{1}}, your code is {{2}}."}]
    waba.template_put(WHATSAPP_WABA_ID, data, [WHATSAPP_PHONE_ID])
    message = template_send(
        conversation=closed_conversation, template=synced[("follow_up", "en_US")], variables=["Ada"]
    )
    assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.error_code == "132000"
    assert "number of variables does not match" in message.error_text
    with translation.override("vi"):
        thread = (
            client_for(agent_a)
            .get(
                f"/t/tenant-a/inbox/c/{closed_conversation.pk}/",
                HTTP_HX_REQUEST="true",
                HTTP_ACCEPT_LANGUAGE="vi",
            )
            .content.decode()
        )
    assert "Số lượng biến không khớp với mẫu" in thread


def test_a_template_paused_at_whatsapp_since_the_sync_fails_with_the_reason(
    synced, waba, closed_conversation
):
    data = fake_template(waba, "booking_reminder")
    data["status"] = "PAUSED"
    waba.template_put(WHATSAPP_WABA_ID, data, [WHATSAPP_PHONE_ID])
    message = template_send(
        conversation=closed_conversation,
        template=synced[("booking_reminder", "en_US")],
        variables=["Ada", "Haircut", "Monday"],
    )
    assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.error_code == "132015"
    assert "paused this template" in message.error_text


def test_a_template_unknown_to_whatsapp_fails_with_132001(synced, waba, closed_conversation):
    template = synced[("follow_up", "vi")]
    template.language = "th"  # a language WhatsApp does not have it in
    template.save()
    message = template_send(conversation=closed_conversation, template=template, variables=["A"])
    assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.error_code == "132001"


def test_a_free_text_reply_that_whatsapp_refuses_as_re_engagement_says_to_send_a_template(
    synced, closed_conversation, fake
):
    conversation = closed_conversation
    conversation.last_customer_message_at = timezone.now()
    conversation.save()
    from inbox.services.sending import message_send

    message = message_send(conversation=conversation, text="Hello again")
    fake.inject("error", code="131047", provider="graph")
    assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert "Send an approved template instead." in message.error_text
