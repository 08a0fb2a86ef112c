"""Customer satisfaction (CSAT) end to end on every channel: resolving asks the question in the
business's language (through the fake providers), the customer's signed reply is read as a
rating in any shipped language and does not reopen the conversation; windows are respected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from inbox.csat_replies import rating_from_reply
from inbox.models import Conversation, CsatSurvey, Message, MessageTemplate
from inbox.providers import registry
from inbox.services.conversations import conversation_set_status
from inbox.services.csat import csat_ask
from inbox.services.templates import templates_sync
from inbox.simulator.fakes import whatsapp_templates as fake_templates
from inbox.simulator.store import DatabaseStore
from tenants.services import api_key_create
from tests.providers.helpers import WHATSAPP_PHONE_ID, WHATSAPP_WABA_ID

from .conftest import fake_requests
from .test_webhook_payloads import documented_shapes

pytestmark = pytest.mark.django_db

PROVIDERS = ["tiktok", "whatsapp", "messenger"]
SEND_PATHS = {"tiktok": "/message/send/", "whatsapp": "/messages", "messenger": "/messages"}


@pytest.fixture
def customer_says(post_webhook):
    """customer_says(channel, text, at=None): the simulated customer writes, signed."""

    def say(channel, text: str, *, at=None):
        fake = registry.get(channel.provider).fake()
        fake.before_inbound(DatabaseStore(), "Mai")
        now_ms = int((at or timezone.now()).timestamp() * 1000)
        for payload in fake.inbound_payloads(
            account_id=channel.account_id, name="Mai", text=text, now_ms=now_ms
        ):
            assert post_webhook(channel.provider, payload).status_code == 200
        return Conversation.objects.get(channel=channel)

    return say


@pytest.fixture
def resolved(all_channels, customer_says, owner_a, django_capture_on_commit_callbacks):
    """resolved(provider): a conversation where the customer just wrote, resolved by the owner
    on a channel that asks for a rating."""

    def make(provider):
        channel = all_channels[provider]
        channel.csat_enabled = True
        channel.save()
        conversation = customer_says(channel, "Thanks, that's all")
        with django_capture_on_commit_callbacks(execute=True):
            conversation_set_status(conversation=conversation, status="resolved", actor=owner_a)
        return conversation

    return make


def question_texts(provider) -> list[str]:
    texts = []
    for request in fake_requests(SEND_PATHS[provider]):
        body = request["json"]
        text = body.get("text") or body.get("message", {}).get("text")
        texts.append(text["body"] if isinstance(text, dict) else text)
    return texts


@pytest.mark.parametrize("provider", PROVIDERS)
def test_resolving_sends_the_question_in_the_business_language(provider, tenant_a, resolved):
    tenant_a.default_language = "vi"
    tenant_a.save()
    conversation = resolved(provider)
    (survey,) = CsatSurvey.objects.filter(conversation=conversation)
    assert survey.status == "asked" and survey.question.author_kind == "bot"
    assert survey.expires_at == survey.asked_at + timedelta(hours=48)
    (text,) = question_texts(provider)
    assert "từ 1" in text and "Tenant A" in text  # Vietnamese, with the business's name


@pytest.mark.parametrize(
    ("provider", "reply", "rating"),
    [
        ("whatsapp", "5", 5),
        ("whatsapp", "★★★★", 4),
        ("whatsapp", "năm", 5),
        ("tiktok", "😍", 5),
        ("tiktok", "ห้า", 5),
        ("tiktok", "bốn sao ạ", 4),
        ("messenger", "lima", 5),
        ("messenger", "pět", 5),
        ("messenger", "五", 5),
        ("messenger", "🙁", 2),
    ],
)
def test_a_rating_reply_is_recorded_and_does_not_reopen_the_conversation(
    provider,
    reply,
    rating,
    resolved,
    customer_says,
    all_channels,
    webhook_events,
    agent_a,
    client_for,
):
    conversation = resolved(provider)
    preview = Conversation.objects.get(pk=conversation.pk).last_message_preview
    customer_says(all_channels[provider], reply)
    conversation.refresh_from_db()
    assert conversation.status == "resolved" and conversation.last_message_preview == preview
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert survey.status == "rated" and survey.rating == rating and survey.reply.text == reply
    assert not Message.objects.filter(
        conversation=conversation, kind="message", direction="in", text=reply
    ).exists()
    (event,) = [data for _t, kind, data in webhook_events if kind == "conversation.rated"]
    assert event["rating"] == rating and event["conversation_id"] == conversation.pk
    assert set(event) == documented_shapes()["conversation.rated"]
    thread = (
        client_for(agent_a)
        .get(f"/t/tenant-a/inbox/c/{conversation.pk}/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert f"rated the conversation {rating} of 5" in thread
    panel = client_for(agent_a).get(f"/t/tenant-a/inbox/c/{conversation.pk}/contact/")
    assert f"{rating} of 5" in panel.content.decode()


def test_a_redelivered_rating_counts_once(resolved, all_channels, post_webhook):
    conversation = resolved("whatsapp")
    fake = registry.get("whatsapp").fake()
    (payload,) = fake.inbound_payloads(
        account_id=all_channels["whatsapp"].account_id, name="Mai", text="4"
    )
    post_webhook("whatsapp", payload)
    post_webhook("whatsapp", payload)
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert survey.rating == 4
    assert Message.objects.filter(conversation=conversation, metadata__csat_rating=4).count() == 1


def test_a_reply_that_is_not_a_rating_is_a_message_that_reopens(
    resolved, customer_says, all_channels
):
    conversation = resolved("messenger")
    customer_says(all_channels["messenger"], "5 more questions: do you ship to Hanoi?")
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert CsatSurvey.objects.get(conversation=conversation).status == "asked"


def test_a_late_reply_is_a_normal_message(resolved, customer_says, all_channels):
    conversation = resolved("tiktok")
    customer_says(all_channels["tiktok"], "5", at=timezone.now() + timedelta(hours=49))
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert CsatSurvey.objects.get(conversation=conversation).rating is None


def test_no_question_when_the_channel_does_not_ask(all_channels, customer_says, owner_a):
    conversation = customer_says(all_channels["whatsapp"], "bye")
    conversation_set_status(conversation=conversation, status="resolved", actor=owner_a)
    assert csat_ask(conversation_id=conversation.pk) is None
    assert not CsatSurvey.objects.exists() and question_texts("whatsapp") == []


def test_asked_once_per_resolution(resolved):
    conversation = resolved("whatsapp")
    assert csat_ask(conversation_id=conversation.pk) is None
    assert CsatSurvey.objects.count() == 1 and len(question_texts("whatsapp")) == 1


def test_on_whatsapp_with_the_window_closed_and_no_template_the_reason_is_kept(
    whatsapp_channel, customer_says, owner_a, django_capture_on_commit_callbacks
):
    whatsapp_channel.csat_enabled = True
    whatsapp_channel.save()
    conversation = customer_says(whatsapp_channel, "ok", at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        conversation_set_status(conversation=conversation, status="resolved", actor=owner_a)
    skipped = CsatSurvey.objects.get(conversation=conversation)
    assert skipped.status == "skipped" and "24 hours" in skipped.skip_reason
    assert "No approved template is chosen" in skipped.skip_reason
    assert Message.objects.filter(
        conversation=conversation, kind="activity", text__startswith="Satisfaction question not"
    ).exists()


def test_on_whatsapp_with_the_window_closed_the_template_chosen_for_csat_asks(
    whatsapp_channel, customer_says, owner_a, django_capture_on_commit_callbacks
):
    whatsapp_channel.csat_enabled = True
    whatsapp_channel.save()
    fake_templates.seed(DatabaseStore(), WHATSAPP_WABA_ID, [WHATSAPP_PHONE_ID])
    templates_sync(channel=whatsapp_channel)
    template = MessageTemplate.objects.get(name="csat_rating")
    template.purpose = "csat"
    template.variable_map = {"body.1": "contact.first_name"}
    template.save()
    conversation = customer_says(whatsapp_channel, "ok", at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        conversation_set_status(conversation=conversation, status="resolved", actor=owner_a)
    asked = CsatSurvey.objects.get(conversation=conversation)
    assert asked.status == "asked"
    assert asked.question.metadata["template"]["name"] == "csat_rating"
    (request,) = [r for r in fake_requests("/messages") if r["json"].get("type") == "template"]
    assert request["json"]["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Mai"}
    ]


def test_the_channel_setting_is_switched_on_the_channels_page(
    whatsapp_channel, owner_a, agent_a, client_for
):
    url = f"/t/tenant-a/settings/channels/{whatsapp_channel.pk}/csat/"
    assert client_for(agent_a).post(url, {"enabled": "1"}).status_code in (403, 404)
    assert client_for(owner_a).post(url, {"enabled": "1"}).status_code == 302
    whatsapp_channel.refresh_from_db()
    assert whatsapp_channel.csat_enabled
    page = client_for(owner_a).get("/t/tenant-a/settings/channels/").content.decode()
    assert "Satisfaction rating: on" in page


def test_ratings_through_the_api(resolved, customer_says, all_channels, tenant_a):
    conversation = resolved("whatsapp")
    customer_says(all_channels["whatsapp"], "⭐⭐⭐⭐⭐")
    raw = api_key_create(tenant=tenant_a, name="crm", read_only=True).raw_key
    response = Client().get(
        f"/api/v1/csat-surveys/?conversation={conversation.pk}",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200
    (survey,) = response.json()["results"]
    assert survey["status"] == "rated" and survey["rating"] == 5
    assert survey["reply_text"] == "⭐⭐⭐⭐⭐"


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("4/5", 4), ("４", 4), ("4️⃣", 4), ("★★★★☆", 4), ("😡", 1), ("😐", 3), ("🙂", 4),
        ("one", 1), ("Five stars!", 5), ("Năm", 5), ("nam", 5), ("ba", 3), ("hai", 2),
        ("สามดาวครับ", 3), ("สอง", 2), ("empat", 4), ("tiga bintang", 3), ("Dva", 2),
        ("tři", 3), ("pětka", 5), ("čtyři hvězdičky", 4), ("三", 3), ("いつつ", 5),
        ("5点です", 5), ("よん", 4),
        ("0", None), ("6", None), ("10", None), ("hello", None), ("5 more minutes", None),
        ("lima puluh", None), ("★★★★★★", None), ("", None), ("ok 5", None),
    ],
)  # fmt: skip
def test_reply_parsing(text, rating):
    assert rating_from_reply(text) == rating
