import json
import time

import pytest

from inbox.models import Contact, ContactIdentity, Conversation, Message, WebhookEvent
from tests.providers.helpers import TIKTOK_CUSTOMER_ID, all_fixtures, load, load_raw, load_recent

from .conftest import signed_headers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("provider", "name"), all_fixtures())
def test_every_fixture_signed_and_posted_is_stored_and_processed(
    all_channels, post_webhook, provider, name
):
    raw = load_raw(provider, name)
    response = post_webhook(provider, raw)
    assert response.status_code == 200
    (event,) = WebhookEvent.objects.all()
    assert event.provider == provider
    assert event.status == WebhookEvent.Status.PROCESSED, event.error
    assert event.channel == all_channels[provider]
    assert bytes(event.body) == raw


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("tiktok", "im_receive_msg_text"),
        ("whatsapp", "message_text"),
        ("messenger", "message_text"),
    ],
)
def test_a_text_message_creates_contact_conversation_and_message(
    all_channels, post_webhook, provider, name
):
    post_webhook(provider, name)
    (message,) = Message.objects.all()
    assert message.direction == "in" and message.author_kind == "customer"
    assert message.text and message.provider_message_id
    assert message.channel == all_channels[provider]
    conversation = message.conversation
    assert conversation.status == "open"
    assert conversation.last_customer_message_at == message.created_at
    assert ContactIdentity.objects.get().contact == conversation.contact


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("tiktok", "im_receive_msg_text"),
        ("whatsapp", "message_text"),
        ("messenger", "message_text"),
    ],
)
def test_it_ignores_a_redelivered_message(all_channels, post_webhook, provider, name):
    assert post_webhook(provider, name).status_code == 200
    assert post_webhook(provider, name).status_code == 200
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.count() == 1


def test_a_redelivery_rebatched_differently_still_makes_one_message(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "message_text")
    payload = load_recent("whatsapp", "message_text")
    payload["entry"][0]["changes"][0]["value"]["statuses"] = []  # a different body, same wamid
    post_webhook("whatsapp", payload)
    assert WebhookEvent.objects.count() == 2
    assert Message.objects.count() == 1


@pytest.mark.parametrize("provider", ["tiktok", "whatsapp", "messenger", "instagram"])
def test_bad_or_missing_signature_is_401_and_nothing_stored(all_channels, post_webhook, provider):
    name = "im_receive_msg_text" if provider == "tiktok" else "message_text"
    raw = load_raw(provider, name)
    bad = signed_headers(provider, raw + b" ")
    assert post_webhook(provider, raw, headers=bad).status_code == 401
    assert post_webhook(provider, raw, headers={}).status_code == 401
    assert WebhookEvent.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_stale_tiktok_timestamp_is_401(tiktok_channel, post_webhook):
    response = post_webhook("tiktok", "im_receive_msg_text", timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_signed_but_malformed_json_is_stored_failed_and_answered_200(
    whatsapp_channel, post_webhook
):
    response = post_webhook("whatsapp", b'{"object": "whatsapp_business_account", ')
    assert response.status_code == 200
    (event,) = WebhookEvent.objects.all()
    assert event.status == "failed" and "invalid JSON" in event.error


def test_signed_but_unknown_shape_is_stored_failed(whatsapp_channel, post_webhook):
    response = post_webhook("messenger", {"object": "instagram", "entry": []})
    assert response.status_code == 200
    (event,) = WebhookEvent.objects.all()
    assert event.status == "failed" and "PayloadError" in event.error


def test_an_unknown_account_is_stored_unrouted(post_webhook, db):
    assert post_webhook("whatsapp", "message_text").status_code == 200
    (event,) = WebhookEvent.objects.all()
    assert event.status == "unrouted" and "106540352242922" in event.error
    assert Message.objects.count() == 0


def test_a_body_over_one_megabyte_is_413(whatsapp_channel, post_webhook):
    raw = b'{"object":"page","pad":"' + b"x" * 1_048_600 + b'"}'
    assert post_webhook("messenger", raw).status_code == 413
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("provider", ["whatsapp", "messenger", "instagram"])
def test_meta_verification_handshake(client, provider):
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "8675309"}
    response = client.get(f"/webhooks/{provider}/", query)
    assert response.status_code == 200 and response.content == b"8675309"
    query["hub.verify_token"] = "wrong"
    assert client.get(f"/webhooks/{provider}/", query).status_code == 403


def test_batched_whatsapp_delivery_routes_each_part(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "batched_entries_changes")
    assert Message.objects.filter(channel=whatsapp_channel).count() == 2
    event = WebhookEvent.objects.get()
    assert event.status == "processed"
    assert "106540352242999" in event.error  # the other number has no channel here


def test_batched_messenger_delivery_makes_two_conversations(messenger_channel, post_webhook):
    post_webhook("messenger", "batched_entries")
    assert Message.objects.count() == 3
    assert Conversation.objects.count() == 2


def test_a_resolved_conversation_reopens_on_a_new_customer_message(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "message_text")
    conversation = Conversation.objects.get()
    conversation.status = "resolved"
    conversation.save()
    post_webhook("whatsapp", "message_image")
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2


def test_tiktok_eea_event_is_stored_without_content(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_receive_msg_text")
    post_webhook("tiktok", "im_receive_msg_eu")
    stripped = Message.objects.get(provider_message_id="7305118392857263206")
    assert stripped.metadata["content_stripped"] is True and stripped.text == ""
    assert stripped.conversation == Message.objects.get(text__startswith="Xin").conversation
    assert WebhookEvent.objects.filter(status="processed").count() == 2


def test_tiktok_ad_referral_is_recorded_on_the_conversation(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_referral_msg_ad")
    post_webhook("tiktok", "im_receive_msg_text")
    conversation = Conversation.objects.get()
    assert conversation.source == "tiktok_ad"
    assert conversation.ad_id == "1785123456789012"
    assert conversation.attribution["advertiser_id"] == "7012345678901234567"
    assert conversation.messages.filter(kind="activity").count() == 1
    assert conversation.messages.filter(kind="message").count() == 1


def test_whatsapp_click_to_chat_referral(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "message_referral")
    conversation = Conversation.objects.get()
    assert conversation.source == "meta_ad" and conversation.ad_id == "120212345678900123"
    assert conversation.attribution["ctwa_clid"].startswith("ARAk")


def test_messenger_ad_referral(messenger_channel, post_webhook):
    post_webhook("messenger", "messaging_referral_ad")
    assert Conversation.objects.get().ad_id == "120209876543210001"


def test_media_messages_keep_attachments(all_channels, post_webhook):
    post_webhook("tiktok", "im_receive_msg_image")
    post_webhook("whatsapp", "message_sticker")
    post_webhook("tiktok", "im_receive_msg_share_post")
    kinds = sorted(Message.objects.values_list("attachments__kind", flat=True))
    assert kinds == ["image", "shared_post", "sticker"]


def test_a_message_typed_in_the_providers_app_is_recorded_as_outbound(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_receive_msg_text")
    post_webhook("tiktok", "im_send_msg_echo")
    out = Message.objects.get(direction="out")
    assert out.author_kind == "agent" and out.author_user is None
    assert out.metadata["sent_from"] == "provider_app" and out.status == "sent"
    assert out.conversation.business_messages_since_customer == 1
    assert Conversation.objects.count() == 1


def test_the_echo_of_our_own_send_is_ignored(messenger_channel, post_webhook):
    post_webhook("messenger", "message_text")
    from inbox.services.sending import message_send

    conversation = Conversation.objects.get()
    from django.test.utils import CaptureQueriesContext  # noqa: F401

    sent = message_send(conversation=conversation, text="Oui, livraison en 48 h.")
    from inbox.services.sending import message_deliver

    message_deliver(message_id=sent.pk)
    sent.refresh_from_db()
    echo = load_recent("messenger", "message_echo")
    echo["entry"][0]["messaging"][0]["message"]["mid"] = sent.provider_message_id
    post_webhook("messenger", echo)
    assert Message.objects.filter(direction="out").count() == 1


def test_an_echo_arriving_before_the_send_returns_is_matched_to_the_send(
    messenger_channel, post_webhook
):
    post_webhook("messenger", "message_text")
    from inbox.services.sending import message_send

    pending = message_send(conversation=Conversation.objects.get(), text="Oui, livraison en 48 h.")
    # (eager Celery inside a captured on-commit block never ran; the send is still queued)
    post_webhook("messenger", "message_echo")
    pending.refresh_from_db()
    assert pending.provider_message_id == "m_AAAA1111echooutbound05"
    assert Message.objects.filter(direction="out").count() == 1


def test_statuses_apply_and_never_move_backwards(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "message_text")
    out = Message.objects.create(
        tenant=whatsapp_channel.tenant,
        conversation=Conversation.objects.get(),
        channel=whatsapp_channel,
        direction="out",
        author_kind="agent",
        text="ok",
        status="sent",
        provider_message_id=load("whatsapp", "status_read")["entry"][0]["changes"][0]["value"][
            "statuses"
        ][0]["id"],
    )
    post_webhook("whatsapp", "status_read")
    out.refresh_from_db()
    assert out.status == "read" and out.read_at and out.delivered_at
    post_webhook("whatsapp", "status_delivered")
    post_webhook("whatsapp", "status_sent")
    post_webhook("whatsapp", "status_failed")
    out.refresh_from_db()
    assert out.status == "read"


def test_a_failed_status_records_the_human_error(whatsapp_channel, post_webhook):
    post_webhook("whatsapp", "message_text")
    status = load("whatsapp", "status_failed")["entry"][0]["changes"][0]["value"]["statuses"][0]
    out = Message.objects.create(
        tenant=whatsapp_channel.tenant,
        conversation=Conversation.objects.get(),
        channel=whatsapp_channel,
        direction="out",
        author_kind="agent",
        text="late",
        status="sent",
        provider_message_id=status["id"],
    )
    post_webhook("whatsapp", "status_failed")
    out.refresh_from_db()
    assert out.status == "failed" and out.error_code == "131047"
    assert "reply window is closed" in out.error_message


def test_tiktok_mark_read_marks_our_messages_read(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_receive_msg_text")
    conversation = Conversation.objects.get()
    out = Message.objects.create(
        tenant=tiktok_channel.tenant,
        conversation=conversation,
        channel=tiktok_channel,
        direction="out",
        author_kind="agent",
        text="hi",
        status="sent",
        provider_message_id="x1",
        created_at=Message.objects.get().created_at,
    )
    post_webhook("tiktok", "im_mark_read_msg")
    out.refresh_from_db()
    assert out.status == "read"


def test_side_effects_of_an_inbound_message(
    tiktok_channel, post_webhook, monkeypatch, webhook_events
):
    from inbox import effects
    from inbox.ingest import messages

    detected, sent = [], []
    monkeypatch.setattr(
        messages, "signals_detect_for_message", lambda *, message: detected.append(message.pk)
    )
    send = effects.task_send

    def spy(name, *args, **kwargs):
        sent.append((name, *args))
        return send(name, *args, **kwargs)

    monkeypatch.setattr(effects, "task_send", spy)
    post_webhook("tiktok", "im_receive_msg_text")
    message = Message.objects.get()
    assert detected == [message.pk]
    assert (effects.AUTOMATION_RUN, message.pk) in sent
    assert webhook_events.types() == ["contact.created", "conversation.created", "message.created"]
    post_webhook("tiktok", "im_receive_msg_image")
    assert webhook_events.types()[-2:] == ["message.created", "conversation.updated"]
    assert Contact.objects.count() == 1


def test_contact_name_and_identity(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_receive_msg_text")
    identity = ContactIdentity.objects.get()
    assert identity.external_id == TIKTOK_CUSTOMER_ID
    assert identity.username == "lina.shop.fan"
    assert identity.contact.name == "lina.shop.fan"


def test_a_processing_crash_leaves_the_event_pending_for_the_sweeper(
    tiktok_channel, post_webhook, monkeypatch
):
    from inbox.ingest import processing

    def boom(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(processing, "message_receive", boom)
    # (eager Celery: the task's exception is logged by the enqueue helper, not raised)
    assert post_webhook("tiktok", "im_receive_msg_text").status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "pending" and event.attempts == 1 and "hiccup" in event.error
    monkeypatch.undo()
    from inbox.ingest.processing import webhook_event_process

    assert webhook_event_process(event_id=event.pk) == "processed"
    assert Message.objects.count() == 1


def test_stored_headers_keep_the_signature_not_everything(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_receive_msg_text")
    headers = WebhookEvent.objects.get().headers
    assert "Tiktok-Signature" in headers and "Cookie" not in headers
    assert json.loads(bytes(WebhookEvent.objects.get().body))["event"] == "im_receive_msg"


@pytest.mark.django_db(transaction=True)
def test_the_request_path_outside_a_transaction_uses_the_dispatcher(tenant_a, client):
    """Served as in production (no surrounding transaction): an autocommit INSERT, the
    dispatcher thread enqueues (eager here: processes in the background), the message appears."""
    from inbox.models import Channel
    from tests.providers.helpers import TIKTOK_BUSINESS_ID

    Channel.objects.create(
        tenant=tenant_a,
        provider="tiktok",
        name="tt",
        account_id=TIKTOK_BUSINESS_ID,
        credentials={"access_token": "act.x.y"},
        settings={"simulator": True},
    )
    raw = load_raw("tiktok", "im_receive_msg_text")
    response = client.post(
        "/webhooks/tiktok/",
        data=raw,
        content_type="application/json",
        **signed_headers("tiktok", raw),
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Message.objects.exists():
        time.sleep(0.05)
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.get().status == "processed"
    # redelivery: the INSERT hits the dedup constraint
    client.post(
        "/webhooks/tiktok/",
        data=raw,
        content_type="application/json",
        **signed_headers("tiktok", raw),
    )
    assert WebhookEvent.objects.count() == 1


def test_a_new_messenger_contact_gets_its_name_from_the_profile_api(
    messenger_channel, post_webhook
):
    from inbox.simulator.store import DatabaseStore

    DatabaseStore().set_profile("7012345678901234", "Camille Martin")
    post_webhook("messenger", "message_text")
    assert Contact.objects.get().name == "Camille Martin"
    post_webhook("messenger", "message_image")
    from tests.channels.conftest import fake_requests

    assert len(fake_requests("/7012345678901234")) == 1  # asked once, for the new contact


@pytest.mark.django_db(transaction=True)
def test_the_profile_api_is_asked_outside_the_processing_transaction(tenant_a, monkeypatch):
    """A slow profile API must not hold the event and identity row locks: the lookup runs
    before processing opens its transaction."""
    from django.db import transaction

    from inbox.ingest import intake
    from inbox.ingest.processing import webhook_event_process
    from inbox.models import Channel
    from inbox.providers import messenger
    from inbox.simulator.store import DatabaseStore
    from tests.providers.helpers import MESSENGER_PAGE_ID

    Channel.objects.create(
        tenant=tenant_a,
        provider="messenger",
        name="page",
        account_id=MESSENGER_PAGE_ID,
        credentials={"access_token": f"EAA.{MESSENGER_PAGE_ID}.t"},
        settings={"simulator": True},
    )
    DatabaseStore().set_profile("7012345678901234", "Camille Martin")
    in_transaction = []
    lookup = messenger.fetch_profile_name

    def spying_lookup(client, **kwargs):
        in_transaction.append(transaction.get_connection().in_atomic_block)
        return lookup(client, **kwargs)

    monkeypatch.setattr(messenger, "fetch_profile_name", spying_lookup)
    monkeypatch.setattr(intake, "enqueue_event", lambda event_id: None)  # processed below
    raw = load_raw("messenger", "message_text")
    headers = {k[5:].replace("_", "-"): v for k, v in signed_headers("messenger", raw).items()}
    with transaction.atomic():
        event_id = intake.webhook_ingest(
            provider="messenger", headers=headers, raw_body=raw
        ).event_id
    assert webhook_event_process(event_id=event_id) == "processed"
    assert in_transaction == [False]
    assert Contact.objects.get().name == "Camille Martin"


def test_the_database_down_answers_503_so_the_provider_retries(
    tiktok_channel, post_webhook, monkeypatch
):
    from django.db import OperationalError

    from inbox.ingest import views

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "webhook_ingest", down)
    assert post_webhook("tiktok", "im_receive_msg_text").status_code == 503


def test_the_broker_down_still_stores_and_answers_200_then_the_sweeper_catches_up(
    tiktok_channel, post_webhook, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from inbox.ingest.sweep import sweep_pending
    from inbox.tasks import webhook_event_process_task

    real_apply_async = webhook_event_process_task.apply_async

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(webhook_event_process_task, "apply_async", broker_down)
    assert post_webhook("tiktok", "im_receive_msg_text").status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "pending" and Message.objects.count() == 0
    monkeypatch.setattr(webhook_event_process_task, "apply_async", real_apply_async)
    assert sweep_pending(now=timezone.now() + timedelta(minutes=2))["events"] == 1
    assert Message.objects.count() == 1


POOLED_PROCESS = """
import django
django.setup()
from django.conf import settings
from django.db import close_old_connections, connection
assert settings.DATABASES["default"]["OPTIONS"]["pool"], "the pool is off"
import inbox.ingest.intake as intake
from inbox.providers import tiktok
from tests.providers.helpers import load_raw
intake.dispatch = lambda event_id: None  # only the INSERT matters here
def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]
def ingest():
    body = load_raw("tiktok", "im_receive_msg_text")
    headers = tiktok.sign(body, settings.TIKTOK_CLIENT_SECRET)
    return intake.webhook_ingest(provider="tiktok", headers=headers, raw_body=body).status
first = backend_pid()
close_old_connections()  # the end of a request or task: back to the pool
print(first, flush=True)
input()  # the test kills that backend meanwhile
print(ingest() if WEBHOOK else backend_pid(), flush=True)
close_old_connections()
print(backend_pid(), flush=True)
"""


def _run_pooled_process(*, check_after_idle: str, webhook: bool) -> tuple[int, list[str]]:
    """A production-shaped process (Django's pool, one connection) whose pooled connection's
    backend the test kills between two requests, as a PostgreSQL restart would."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "DATABASE_POOL": "true",
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_POOL_MAX_SIZE": "1",
        "DATABASE_POOL_CHECK_AFTER_IDLE": check_after_idle,
        "TIKTOK_CLIENT_SECRET": "pool-test-secret",
    }
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", f"WEBHOOK = {webhook}\n" + POOLED_PROCESS],
        cwd=root,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = int(proc.stdout.readline())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        out, err = proc.communicate("\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    return first, out.split()


@pytest.mark.django_db(transaction=True)
def test_a_pooled_connection_killed_while_idle_is_replaced_before_use():
    """Production processes use Django's pool with health checks for connections idle for a
    while (here: always): a connection whose backend died (a PostgreSQL restart) is replaced
    when next borrowed, not handed to a request."""
    first, (second, third) = _run_pooled_process(check_after_idle="0", webhook=False)
    assert int(second) != first and int(third) != first


@pytest.mark.django_db(transaction=True)
def test_a_webhook_meeting_a_connection_killed_under_load_is_still_stored():
    """Connections returned a moment ago are not checked again (config/db/base.py): under load
    the webhook's INSERT may meet one that a restart killed since. It is retried once on a live
    connection, the provider gets its 200, the event is stored, and the dead connection is gone
    from the pool for the next request."""
    first, (status, after) = _run_pooled_process(check_after_idle="3600", webhook=True)
    assert status == "200"
    assert WebhookEvent.objects.filter(provider="tiktok").count() == 1
    assert int(after) != first
