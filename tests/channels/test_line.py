"""LINE Official Account end to end against the fake LINE API: connect, signed webhooks (per
channel secret), every event type, sending with the reply token or a push with the retry key,
and LINE's errors."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import Channel, Contact, Conversation, Message, WebhookEvent
from inbox.providers import line
from inbox.services.sending import message_deliver, message_send, retry_key
from inbox.simulator.fakes import line as fake_line
from inbox.simulator.store import DatabaseStore
from tests.providers.helpers import load_recent

from .conftest import fake_requests

pytestmark = pytest.mark.django_db

DESTINATION = "U4af4980629a1b2c3d4e5f60718293a4b"
CUSTOMER = "U206d25c2ea6bd87c17655609a1c37cb8"
SECRET = "0123456789abcdef0123456789abcdef"
OTHER_SECRET = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def line_channel(tenant_a):
    return Channel.objects.create(
        tenant=tenant_a,
        provider="line",
        name="ร้านของฉัน",
        account_id=DESTINATION,
        credentials={"access_token": "line-token-a", "channel_secret": SECRET},
        settings={"simulator": True},
    )


@pytest.fixture
def post_line(client, django_capture_on_commit_callbacks):
    now = time.time()

    def post(payload, *, secret: str | None = SECRET, headers: dict | None = None):
        if isinstance(payload, str):
            payload = load_recent("line", payload, now=now)
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if headers is None:
            headers = {}
            if secret is not None:
                headers["HTTP_X_LINE_SIGNATURE"] = line.signature(raw, secret)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/webhooks/line/", data=raw, content_type="application/json", **headers
            )

    return post


def _text_event(text: str, *, at_ms: int, user: str = CUSTOMER, token: str = "") -> dict:
    event = fake_line.message_event(user, text, at_ms)
    if token:
        event["replyToken"] = token
    return {"destination": DESTINATION, "events": [event]}


# --- connect -----------------------------------------------------------------------------------


def test_connecting_checks_the_token_with_bot_info_and_keeps_the_secret_encrypted(
    client_for, tenant_a, owner_a
):
    owner = client_for(owner_a)
    page = owner.get(f"/t/{tenant_a.slug}/settings/channels/line/").content.decode()
    assert "Channel secret" in page and "Channel access token" in page
    response = owner.post(
        f"/t/{tenant_a.slug}/settings/channels/line/",
        {"channel_secret": SECRET, "access_token": "tok-shop", "simulator": "on"},
    )
    assert response.status_code == 302
    channel = Channel.objects.get(provider="line")
    assert channel.account_id == fake_line.bot_user_id("tok-shop")  # the webhook's destination
    assert channel.name.startswith("LINE shop")
    assert channel.credentials == {"access_token": "tok-shop", "channel_secret": SECRET}
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inbox_channel WHERE id = %s", [channel.pk])
        stored = cursor.fetchone()[0]
    assert SECRET not in stored and "tok-shop" not in stored
    (info,) = fake_requests("/v2/bot/info")
    assert info["headers"]["authorization"].startswith("Bearer")


def test_a_refused_token_or_a_malformed_secret_connects_nothing(client_for, tenant_a, owner_a):
    DatabaseStore().revoke_token("tok-revoked")
    owner = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/settings/channels/line/"
    refused = owner.post(
        url, {"channel_secret": SECRET, "access_token": "tok-revoked", "simulator": "on"}
    )
    assert refused.status_code == 200
    assert "LINE did not accept this channel access token" in refused.content.decode()
    malformed = owner.post(
        url, {"channel_secret": "not-hex", "access_token": "tok", "simulator": "on"}
    )
    assert "32 hexadecimal characters" in malformed.content.decode()
    assert not Channel.objects.filter(provider="line").exists()


def test_disconnecting_forgets_the_credentials(client_for, tenant_a, owner_a, line_channel):
    owner = client_for(owner_a)
    owner.post(f"/t/{tenant_a.slug}/settings/channels/{line_channel.pk}/disconnect/")
    line_channel.refresh_from_db()
    assert line_channel.status == "disconnected" and line_channel.credentials == {}


# --- webhooks: signatures ----------------------------------------------------------------------


def test_good_bad_missing_and_other_channels_signatures(post_line, line_channel, tenant_b):
    Channel.objects.create(
        tenant=tenant_b,
        provider="line",
        name="other shop",
        account_id="U" + "b" * 32,
        credentials={"access_token": "t", "channel_secret": OTHER_SECRET},
    )
    assert post_line("message_text", secret=OTHER_SECRET).status_code == 401
    assert post_line("message_text", secret="0" * 32).status_code == 401
    assert post_line("message_text", secret=None).status_code == 401
    assert (
        post_line("message_text", headers={"HTTP_X_LINE_SIGNATURE": "bm90IGl0"}).status_code == 401
    )
    unknown = load_recent("line", "message_text")
    unknown["destination"] = "U" + "c" * 32
    assert post_line(unknown).status_code == 401
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()
    assert post_line("message_text").status_code == 200
    assert Message.objects.get().tenant == line_channel.tenant


def test_the_consoles_empty_test_delivery_is_answered_200(post_line, line_channel):
    assert post_line({"destination": DESTINATION, "events": []}).status_code == 200
    assert not Message.objects.exists()


def test_a_redelivery_is_stored_once(post_line, line_channel):
    assert post_line("message_text").status_code == 200
    again = load_recent("line", "message_text")
    again["events"][0]["deliveryContext"] = {"isRedelivery": True}  # other bytes, same event
    assert post_line(again).status_code == 200
    assert post_line("message_text").status_code == 200
    assert WebhookEvent.objects.count() == 1  # the same webhookEventId: kept once
    assert Message.objects.count() == 1
    moved = load_recent("line", "message_text")
    moved["events"][0]["webhookEventId"] = "01JDQ7Z8K3W5X9T2N4B6R8M0ZZ"  # a new id, same message
    assert post_line(moved).status_code == 200
    assert WebhookEvent.objects.count() == 2 and Message.objects.count() == 1


# --- webhooks: every event type ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "message_type", "text", "attachment"),
    [
        ("message_text", "text", "สวัสดีค่ะ เสื้อตัวนี้มีไซซ์ M ไหมคะ", None),
        ("message_image", "image", "", "image"),
        ("message_image_external", "image", "", "image"),
        ("message_video", "video", "", "video"),
        ("message_audio", "audio", "", "audio"),
        ("message_file", "file", "ใบสั่งซื้อ.pdf", "file"),
        ("message_location", "location", "📍 ร้านของฉัน", None),
        ("message_sticker", "sticker", "", "sticker"),
    ],
)
def test_each_message_type_reaches_the_inbox(
    post_line, line_channel, fixture, message_type, text, attachment
):
    DatabaseStore().set_profile(CUSTOMER, "คุณนิด")
    assert post_line(fixture).status_code == 200
    message = Message.objects.get()
    assert message.direction == "in" and message.author_kind == "customer"
    assert message.metadata["type"] == message_type and message.metadata["reply_token"]
    assert message.text.startswith(text)
    kinds = [a.kind for a in message.attachments.all()]
    assert kinds == ([attachment] if attachment else [])
    # the name came from the profile API, asked outside the processing transaction
    assert Contact.objects.get().name == "คุณนิด"
    if attachment and fixture != "message_image_external":
        (att,) = message.attachments.all()
        assert att.file  # prefetched through LINE's content endpoint (or the sticker CDN)


def test_content_hosted_elsewhere_keeps_its_address(post_line, line_channel):
    post_line("message_image_external")
    (att,) = Message.objects.get().attachments.all()
    assert att.url == "https://example.com/original.jpg" and not att.provider_media_id


def test_a_quoted_message_points_at_the_message_it_quotes(post_line, line_channel):
    post_line("message_text")
    post_line("message_text_quoted")
    quoted = Message.objects.get(provider_message_id="534845296102305802")
    assert quoted.reply_to.provider_message_id == "534845296102305801"


def test_unsend_removes_the_text(post_line, line_channel, client_for, owner_a, tenant_a):
    post_line("message_text")
    post_line("unsend")
    message = Message.objects.get()
    assert message.text == "" and message.metadata["unsent"]
    page = client_for(owner_a).get(
        f"/t/{tenant_a.slug}/inbox/c/{message.conversation_id}/", follow=True
    )
    assert "The customer unsent this message." in page.content.decode()


def test_follow_and_unfollow_are_activity_lines(post_line, line_channel):
    post_line("follow")
    post_line("follow")  # redelivery
    post_line("unfollow")
    lines = list(Message.objects.order_by("created_at").values_list("kind", "text"))
    assert lines == [
        ("activity", "The customer followed ร้านของฉัน."),
        ("activity", "The customer unfollowed or blocked ร้านของฉัน."),
    ]
    conversation = Conversation.objects.get()
    assert conversation.last_customer_message_at is None  # not a message: no window opened


def test_an_unfollow_from_a_stranger_opens_nothing(post_line, line_channel):
    post_line("unfollow")
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_group_chats_are_noted_not_stored(post_line, line_channel):
    payload = load_recent("line", "message_text")
    payload["events"][0]["source"] = {"type": "group", "groupId": "C" + "1" * 32}
    assert post_line(payload).status_code == 200
    assert not Message.objects.exists()
    assert "group" in WebhookEvent.objects.get().error


# --- sending ---------------------------------------------------------------------------------


def _conversation(post_line, *, age_seconds: float, token: str | None = None):
    at_ms = int((time.time() - age_seconds) * 1000)
    post_line(_text_event("มีไหมคะ", at_ms=at_ms, token=token or fake_line.reply_token(at_ms)))
    return Conversation.objects.get()


def test_a_fresh_reply_token_answers_for_free_then_pushes_with_a_retry_key(post_line, line_channel):
    conversation = _conversation(post_line, age_seconds=5)
    first = message_send(conversation=conversation, text="มีค่ะ")
    message_deliver(message_id=first.pk)
    second = message_send(conversation=conversation, text="ส่งฟรีด้วยค่ะ")
    message_deliver(message_id=second.pk)
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == second.status == "sent"
    (reply,) = fake_requests("/message/reply")
    assert reply["json"]["messages"] == [{"type": "text", "text": "มีค่ะ"}]
    (push,) = fake_requests("/message/push")  # the token answers once
    assert push["json"] == {"to": CUSTOMER, "messages": [{"type": "text", "text": "ส่งฟรีด้วยค่ะ"}]}
    # the push carried the message's own retry key (the fake remembers accepted keys)
    assert DatabaseStore().is_revoked("line-retry:" + retry_key(second))
    assert uuid.UUID(retry_key(second)) == uuid.UUID(retry_key(second))


def test_an_old_reply_token_is_not_tried(post_line, line_channel):
    conversation = _conversation(post_line, age_seconds=120)
    message = message_send(conversation=conversation, text="สวัสดีค่ะ")
    assert message_deliver(message_id=message.pk) == "sent"
    assert not fake_requests("/message/reply") and len(fake_requests("/message/push")) == 1


def test_a_reply_token_line_refuses_falls_back_to_a_push(post_line, line_channel, fake):
    conversation = _conversation(post_line, age_seconds=5)
    fake.inject("error", code="invalid_reply_token", path_contains="/reply")
    message = message_send(conversation=conversation, text="สวัสดีค่ะ")
    assert message_deliver(message_id=message.pk) == "sent"
    assert len(fake_requests("/message/reply")) == 1 and len(fake_requests("/message/push")) == 1


def test_a_retried_push_is_never_sent_twice(post_line, line_channel, monkeypatch):
    """The first push reached LINE but its answer was lost (a 500 here): the retry carries the
    same key, LINE answers 409, and the message is sent — once."""
    conversation = _conversation(post_line, age_seconds=120)
    message = message_send(conversation=conversation, text="ยืนยันคำสั่งซื้อ")
    original = fake_line.handle

    def accepted_but_answer_lost(fakes, method, path, query, headers, data):
        status, hdrs, body = original(fakes, method, path, query, headers, data)
        if path == "/v2/bot/message/push" and status == 200:
            return 500, {"Content-Type": "application/json"}, b'{"message":"Internal error"}'
        return status, hdrs, body

    monkeypatch.setattr(fake_line, "handle", accepted_but_answer_lost)
    assert message_deliver(message_id=message.pk) == "queued"
    monkeypatch.setattr(fake_line, "handle", original)
    message.refresh_from_db()
    assert message_deliver(message_id=message.pk, now=message.next_attempt_at) == "sent"
    pushes = fake_requests("/message/push")
    assert [p["status"] for p in pushes] == [500, 409]
    message.refresh_from_db()
    assert message.provider_message_id.startswith("request:")


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        ("429", "queued", "rate limiting"),
        ("500", "queued", "retried"),
        ("monthly_limit", "failed", "monthly message quota"),
        ("401", "failed", "reconnect the channel"),
        ("403", "failed", "not allowed to send"),
        ("bad_recipient", "failed", "blocked the account"),
        ("400", "failed", "LINE refused the message"),
    ],
)
def test_line_errors_are_retried_or_explained(post_line, line_channel, fake, code, status, words):
    conversation = _conversation(post_line, age_seconds=120)
    message = message_send(conversation=conversation, text="สวัสดีค่ะ")
    fake.inject("error", code=code, path_contains="/push")
    assert message_deliver(message_id=message.pk) == status
    message.refresh_from_db()
    assert words in message.error_message
    line_channel.refresh_from_db()
    assert (line_channel.status == "error") == (code == "401")


def test_the_composer_says_how_the_reply_goes_and_the_channel_page_shows_the_quota(
    post_line, line_channel, client_for, owner_a, tenant_a
):
    owner = client_for(owner_a)
    conversation = _conversation(post_line, age_seconds=3600)
    message_deliver(message_id=message_send(conversation=conversation, text="ค่ะ").pk)
    page = owner.get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True).content.decode()
    assert "push message, which counts against the account" in page
    assert "Reply window open" in page and "left" not in page.split("reply-window")[1][:200]
    channels = owner.get(f"/t/{tenant_a.slug}/settings/channels/").content.decode()
    assert "Messages this month: 1 of 500" in channels


def test_a_fresh_message_tells_the_agent_the_reply_is_free(
    post_line, line_channel, client_for, owner_a, tenant_a
):
    conversation = _conversation(post_line, age_seconds=2)
    conversation.last_customer_message_at = timezone.now() - timedelta(seconds=2)
    conversation.save()
    page = (
        client_for(owner_a)
        .get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True)
        .content.decode()
    )
    assert "reply token: free of charge" in page


def test_a_new_secret_works_at_once_and_a_disconnected_channel_is_refused(
    post_line, line_channel, client_for, owner_a, tenant_a
):
    assert post_line("message_text").status_code == 200  # the process now keeps SECRET
    line_channel.credentials = {**line_channel.credentials, "channel_secret": OTHER_SECRET}
    line_channel.save()  # changed elsewhere (another process reconnected it)
    assert post_line("message_text_quoted", secret=OTHER_SECRET).status_code == 200
    assert post_line("message_image", secret=SECRET).status_code == 401
    client_for(owner_a).post(f"/t/{tenant_a.slug}/settings/channels/{line_channel.pk}/disconnect/")
    assert post_line("message_video", secret=OTHER_SECRET).status_code == 401
    assert Message.objects.count() == 2
