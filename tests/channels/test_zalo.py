"""Zalo Official Account end to end against the fake Zalo API: OAuth v4 with PKCE, signed
webhooks (the OA's own secret key), every event type, echoes, the 7-day consultation window,
Zalo's HTTP-200 error codes and the single-use refresh token."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import Channel, Contact, Conversation, Message, WebhookEvent
from inbox.providers import zalo
from inbox.services.channels import channel_refresh_token
from inbox.services.sending import message_deliver, message_send
from inbox.simulator.fakes import zalo as fake_zalo
from inbox.simulator.store import DatabaseStore
from tests.providers.helpers import ZALO_OA_ID, ZALO_USER_ID, load_recent

from .conftest import fake_requests

pytestmark = pytest.mark.django_db

SECRET = "zalo-oa-secret-key-0001"
OTHER_SECRET = "zalo-oa-secret-key-0002"


@pytest.fixture
def zalo_channel(tenant_a):
    return Channel.objects.create(
        tenant=tenant_a,
        provider="zalo",
        name="Shop Zalo",
        account_id=ZALO_OA_ID,
        credentials={
            "access_token": f"zat.{ZALO_OA_ID}.a",
            "refresh_token": f"zrt.{ZALO_OA_ID}.r",
            "oa_secret_key": SECRET,
        },
        token_expires_at=timezone.now() + timedelta(hours=20),
        settings={"simulator": True},
    )


@pytest.fixture
def post_zalo(client, django_capture_on_commit_callbacks):
    now = time.time()

    def post(payload, *, secret: str | None = SECRET, execute: bool = True, headers=None):
        if isinstance(payload, str):
            payload = load_recent("zalo", payload, now=now)
        raw = json.dumps(payload, ensure_ascii=False).encode()
        if headers is None:
            headers = {}
            if secret is not None:
                headers["HTTP_X_ZEVENT_SIGNATURE"] = zalo.signature(raw, secret)
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(
                "/webhooks/zalo/", data=raw, content_type="application/json", **headers
            )

    return post


def _customer_writes(
    post_zalo, *, age: timedelta = timedelta(minutes=1), text="Còn hàng không shop?"
):
    at_ms = int((time.time() - age.total_seconds()) * 1000)
    post_zalo(fake_zalo.text_event(ZALO_OA_ID, ZALO_USER_ID, text, at_ms))
    return Conversation.objects.get()


# --- connect: OAuth v4 with PKCE ------------------------------------------------------------------


def _connect(owner, tenant, *, tamper: bool = False):
    start = owner.post(
        f"/t/{tenant.slug}/settings/channels/zalo/", {"oa_secret_key": SECRET, "simulator": "on"}
    )
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/simulator/zalo/authorize/"
    assert len(query["code_challenge"][0]) == 43 and query["state"][0]
    if tamper:
        query["code_challenge"] = ["A" * 43]
    consent = owner.get(
        authorize.path,
        {**{k: v[0] for k, v in query.items()}, "decision": "allow", "oa_id": ZALO_OA_ID},
    )
    callback = urlsplit(consent["Location"])
    assert parse_qs(callback.query)["oa_id"] == [ZALO_OA_ID]
    return owner.get(callback.path + "?" + callback.query, follow=True)


def test_connecting_runs_oauth_with_pkce_and_keeps_everything_encrypted(
    client_for, tenant_a, owner_a
):
    owner = client_for(owner_a)
    page = owner.get(f"/t/{tenant_a.slug}/settings/channels/zalo/").content.decode()
    assert "OA Secret Key" in page and "/webhooks/zalo/" in page
    response = _connect(owner, tenant_a)
    assert "is connected" in response.content.decode()
    channel = Channel.objects.get(provider="zalo")
    assert channel.account_id == ZALO_OA_ID and channel.credentials["oa_secret_key"] == SECRET
    assert channel.credentials["access_token"].startswith("zat.")
    assert timedelta(hours=24) < channel.token_expires_at - timezone.now() <= timedelta(hours=25)
    (token_call,) = fake_requests("/oauth/v4/oa/access_token")
    form = parse_qs(token_call["body"])
    assert form["grant_type"] == ["authorization_code"] and len(form["code_verifier"][0]) == 43
    assert token_call["headers"]["content-type"] == "application/x-www-form-urlencoded"
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inbox_channel WHERE id = %s", [channel.pk])
        assert SECRET not in cursor.fetchone()[0]


def test_a_code_without_the_matching_verifier_connects_nothing(client_for, tenant_a, owner_a):
    response = _connect(client_for(owner_a), tenant_a, tamper=True)
    assert "Invalid code verifier" in response.content.decode()
    assert not Channel.objects.filter(provider="zalo").exists()


# --- webhooks ---------------------------------------------------------------------------------


def test_good_bad_missing_and_other_oas_signatures(post_zalo, zalo_channel, tenant_b):
    Channel.objects.create(
        tenant=tenant_b,
        provider="zalo",
        name="other OA",
        account_id="4000000000000000001",
        credentials={"access_token": "zat.x.y", "oa_secret_key": OTHER_SECRET},
    )
    assert post_zalo("user_send_text", secret=OTHER_SECRET).status_code == 401
    assert post_zalo("user_send_text", secret="wrong-secret").status_code == 401
    assert post_zalo("user_send_text", secret=None).status_code == 401
    unknown = load_recent("zalo", "user_send_text")
    unknown["recipient"]["id"] = "4999999999999999999"
    assert post_zalo(unknown).status_code == 401
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()
    assert post_zalo("user_send_text").status_code == 200
    bare = load_recent("zalo", "user_send_text")  # the signature without its "mac=" prefix
    raw = json.dumps(bare, ensure_ascii=False).encode()
    headers = {"HTTP_X_ZEVENT_SIGNATURE": zalo.signature(raw, SECRET).removeprefix("mac=")}
    assert post_zalo(bare, headers=headers).status_code == 200
    assert Message.objects.get().tenant == zalo_channel.tenant


def test_ingest_only_stores_so_zalo_gets_its_answer_at_once(post_zalo, zalo_channel):
    assert post_zalo("user_send_text", execute=False).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "pending" and not Message.objects.exists()
    assert fake_requests() == []  # no profile call, nothing slow, in the request


def test_a_redelivery_is_stored_once(post_zalo, zalo_channel):
    for _ in range(3):
        assert post_zalo("user_send_text").status_code == 200
    assert WebhookEvent.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize(
    ("fixture", "text", "attachment"),
    [
        ("user_send_text", "Shop ơi, áo này còn size M không ạ?", None),
        ("user_send_image", "", "image"),
        ("user_send_gif", "", "image"),
        ("user_send_sticker", "", "sticker"),
        ("user_send_file", "don-hang.pdf", "file"),
        ("user_send_location", "📍 10.7769, 106.7009", None),
        ("user_send_link", "Áo khoác gió https://shop.example.com/ao-khoac", None),
        ("user_send_audio", "", "audio"),
        ("user_send_video", "", "video"),
    ],
)
def test_each_message_type_reaches_the_inbox(post_zalo, zalo_channel, fixture, text, attachment):
    DatabaseStore().set_profile(ZALO_USER_ID, "Nguyễn Thị Lan")
    assert post_zalo(fixture).status_code == 200
    message = Message.objects.get()
    assert message.direction == "in" and message.text == text
    assert [a.kind for a in message.attachments.all()] == ([attachment] if attachment else [])
    assert Contact.objects.get().name == "Nguyễn Thị Lan"  # from the profile API


def test_a_quote_points_at_the_quoted_message(post_zalo, zalo_channel):
    post_zalo("user_send_text")
    post_zalo("user_send_text_quote")
    quote = Message.objects.get(provider_message_id="9a3c2e5f8b1d4c6e7a0b2d4f6e8a0c22")
    assert quote.reply_to.provider_message_id == "9a3c2e5f8b1d4c6e7a0b2d4f6e8a0c21"


def test_a_message_typed_in_zalos_oa_chat_is_an_agent_message_then_delivered_seen_and_liked(
    post_zalo, zalo_channel
):
    post_zalo("user_send_text")
    post_zalo("oa_send_text_admin")
    post_zalo("oa_send_text_admin")  # redelivery
    sent = Message.objects.get(direction="out")
    assert sent.author_kind == "agent" and sent.metadata["sent_from"] == "provider_app"
    post_zalo("user_received_message")
    post_zalo("user_seen_message")
    post_zalo("user_reacted_message")
    sent.refresh_from_db()
    assert sent.status == "read" and sent.delivered_at and sent.read_at
    assert sent.metadata["reaction"] == "/-heart"


def test_the_echo_of_our_own_send_is_not_a_second_message(post_zalo, zalo_channel):
    conversation = _customer_writes(post_zalo)
    message = message_send(conversation=conversation, text="Dạ còn ạ")
    assert message_deliver(message_id=message.pk) == "sent"
    message.refresh_from_db()
    for payload in fake_zalo.status_payloads(
        account_id=ZALO_OA_ID,
        customer_id=ZALO_USER_ID,
        conversation_id="",
        message_id=message.provider_message_id,
    ):
        assert post_zalo(payload).status_code == 200
    assert Message.objects.filter(direction="out").count() == 1
    message.refresh_from_db()
    assert message.status == "read"


def test_follow_and_unfollow_are_activity_lines(post_zalo, zalo_channel):
    post_zalo("follow")
    post_zalo("unfollow")
    assert list(Message.objects.order_by("created_at").values_list("kind", flat=True)) == [
        "activity",
        "activity",
    ]


# --- sending ------------------------------------------------------------------------------------


def test_a_reply_goes_out_as_a_consultation_message(post_zalo, zalo_channel):
    conversation = _customer_writes(post_zalo)
    message = message_send(conversation=conversation, text="Dạ còn size M ạ")
    assert message_deliver(message_id=message.pk) == "sent"
    (send,) = fake_requests("/v3.0/oa/message/cs")
    assert send["json"] == {
        "recipient": {"user_id": ZALO_USER_ID},
        "message": {"text": "Dạ còn size M ạ"},
    }
    assert send["headers"]["access_token"].startswith("zat.")  # a bare header, not Bearer


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        ("-32", "queued", "rate limiting"),
        ("-230", "failed", "past 7 days"),
        ("-213", "failed", "does not follow"),
        ("-217", "failed", "blocked"),
        ("-201", "failed", "invalid"),
        ("-234", "failed", "at night"),
        ("-216", "failed", "reconnect"),
    ],
)
def test_zalos_http_200_errors_are_retried_or_explained(
    post_zalo, zalo_channel, fake, code, status, words
):
    conversation = _customer_writes(post_zalo)
    message = message_send(conversation=conversation, text="Dạ")
    fake.inject("error", code=code, path_contains="/message/cs")
    assert message_deliver(message_id=message.pk) == status
    message.refresh_from_db()
    assert words in message.error_message and message.error_code == code
    zalo_channel.refresh_from_db()
    assert (zalo_channel.status == "error") == (code == "-216")


def test_a_server_error_is_retried(post_zalo, zalo_channel, fake):
    conversation = _customer_writes(post_zalo)
    message = message_send(conversation=conversation, text="Dạ")
    fake.inject("http_500", provider="zalo")
    assert message_deliver(message_id=message.pk) == "queued"


def test_the_7_day_window_and_the_allowance_from_the_quota_call(
    post_zalo, zalo_channel, client_for, owner_a, tenant_a
):
    owner = client_for(owner_a)
    conversation = _customer_writes(post_zalo, age=timedelta(days=6))
    message_deliver(message_id=message_send(conversation=conversation, text="Dạ").pk)
    page = owner.get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True).content.decode()
    assert "Free consultation replies left for this customer: 7." in page
    assert fake_requests("/v3.0/oa/quota/message")[0]["json"] == {"user_id": ZALO_USER_ID}
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    page = owner.get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True).content.decode()
    assert "within 7 days of the customer" in page
    refused = owner.post(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/reply/", {"text": "hi", "mode": "reply"}
    )
    assert refused.status_code == 422
    assert Message.objects.filter(direction="out").count() == 1


# --- the single-use refresh token ---------------------------------------------------------------


def test_an_expiring_token_is_rotated_and_the_new_pair_stored_before_it_is_used(
    post_zalo, zalo_channel
):
    conversation = _customer_writes(post_zalo)
    old = dict(zalo_channel.credentials)
    Channel.objects.filter(pk=zalo_channel.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=30)
    )
    message = message_send(conversation=conversation, text="Dạ")
    assert message_deliver(message_id=message.pk) == "sent"
    zalo_channel.refresh_from_db()
    new = zalo_channel.credentials
    assert (
        new["refresh_token"] != old["refresh_token"] and new["access_token"] != old["access_token"]
    )
    assert new["oa_secret_key"] == SECRET  # kept across the rotation
    assert zalo_channel.token_expires_at > timezone.now() + timedelta(hours=24)
    (refresh_call,) = fake_requests("/oauth/v4/oa/access_token")
    assert parse_qs(refresh_call["body"])["refresh_token"] == [old["refresh_token"]]
    (send,) = fake_requests("/message/cs")
    assert new["access_token"].startswith(send["headers"]["access_token"].removesuffix("…"))
    assert DatabaseStore().is_revoked(old["refresh_token"])  # spent: never usable again


def test_a_spent_refresh_token_puts_the_channel_in_error(zalo_channel):
    DatabaseStore().revoke_token(zalo_channel.credentials["refresh_token"])
    Channel.objects.filter(pk=zalo_channel.pk).update(token_expires_at=timezone.now())
    zalo_channel.refresh_from_db()
    with pytest.raises(zalo.api.ProviderError):
        channel_refresh_token(channel=zalo_channel)
    zalo_channel.refresh_from_db()
    assert zalo_channel.status == "error" and "Invalid refresh token" in zalo_channel.last_error
