from datetime import timedelta

import pytest
from django.utils import timezone

from inbox import effects
from inbox.ingest.sweep import sweep_pending
from inbox.models import Channel, Conversation, Message
from inbox.services.sending import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    MAX_ATTEMPTS,
    MessageRejected,
    ReplyWindowClosed,
    message_deliver,
    message_retry,
    message_send,
)

from .conftest import fake_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation_for(post_webhook):
    def make(provider):
        name = "im_receive_msg_text" if provider == "tiktok" else "message_text"
        post_webhook(provider, name)
        conversation = Conversation.objects.get(channel__provider=provider)
        # the fixtures are from the past: the customer "just wrote"
        conversation.last_customer_message_at = timezone.now() - timedelta(minutes=5)
        conversation.save()
        return conversation

    return make


def send_and_deliver(conversation, text="Hello!", **kwargs):
    message = message_send(conversation=conversation, text=text, **kwargs)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    return message


@pytest.mark.parametrize("provider", ["tiktok", "whatsapp", "messenger"])
def test_a_reply_is_queued_then_sent_through_the_provider(
    all_channels, conversation_for, provider, agent_a
):
    conversation = conversation_for(provider)
    message = send_and_deliver(conversation, "Dạ còn ạ", author_user=agent_a)
    assert message.status == "sent" and message.provider_message_id
    assert message.attempts == 1 and message.sent_at and message.author_user == agent_a
    (request,) = fake_requests("/messages" if provider != "tiktok" else "/message/send/")
    body = request["json"]
    if provider == "tiktok":
        assert body["recipient"] == conversation.provider_conversation_id
        assert body["business_id"] == all_channels["tiktok"].account_id
        assert body["text"] == {"body": "Dạ còn ạ"}
    elif provider == "whatsapp":
        assert body["to"] == "66812345678" and body["text"]["body"] == "Dạ còn ạ"
    else:
        assert body["recipient"] == {"id": "7012345678901234"}
        assert body["messaging_type"] == "RESPONSE"
    conversation.refresh_from_db()
    assert conversation.business_messages_since_customer == 1


def test_message_send_queues_and_delivers_on_commit(
    whatsapp_channel, conversation_for, django_capture_on_commit_callbacks
):
    conversation = conversation_for("whatsapp")
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(conversation=conversation, text="สวัสดีครับ")
        assert Message.objects.get(pk=message.pk).status == "queued"
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_second_claim_of_the_same_message_does_nothing(whatsapp_channel, conversation_for):
    message = message_send(conversation=conversation_for("whatsapp"), text="once")
    assert message_deliver(message_id=message.pk) == "sent"
    assert message_deliver(message_id=message.pk) is None
    assert len(fake_requests("/messages")) == 1


def test_transient_errors_back_off_then_succeed(whatsapp_channel, conversation_for, fake):
    message = message_send(conversation=conversation_for("whatsapp"), text="retry me")
    fake.inject("http_500", provider="graph")
    fake.inject("error", code="130429", provider="graph")
    assert message_deliver(message_id=message.pk) == "queued"
    message.refresh_from_db()
    first_delay = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 5 < first_delay < 15 and message.error_code == "http_500"
    assert message_deliver(message_id=message.pk) is None  # not due yet
    later = message.next_attempt_at + timedelta(seconds=1)
    assert message_deliver(message_id=message.pk, now=later) == "queued"
    message.refresh_from_db()
    assert message.error_code == "130429"
    assert (message.next_attempt_at - later).total_seconds() > first_delay
    assert message_deliver(message_id=message.pk, now=message.next_attempt_at) == "sent"
    message.refresh_from_db()
    assert message.attempts == 3 and message.error_code == "" and message.provider_message_id


def test_timeouts_are_retried_and_give_up_after_the_cap(tiktok_channel, conversation_for, fake):
    message = message_send(conversation=conversation_for("tiktok"), text="never")
    fake.inject("timeout", count=MAX_ATTEMPTS, provider="tiktok")
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        now += timedelta(seconds=700)
        message_deliver(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == MAX_ATTEMPTS
    assert "Gave up after 6 attempts" in message.error_message
    assert message.conversation.business_messages_since_customer == 0


def test_backoff_grows_exponentially_with_a_cap():
    def backoff_seconds(attempts):
        return effects.backoff_seconds(attempts, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS)

    assert 8 <= backoff_seconds(1) <= 12
    assert 16 <= backoff_seconds(2) <= 24
    assert backoff_seconds(20) <= 600 * 1.2
    assert backoff_seconds(10_000) <= 600 * 1.2  # no overflow after a very long outage


@pytest.mark.parametrize(
    ("provider", "code", "words"),
    [
        ("whatsapp", "131047", "reply window is closed"),
        ("tiktok", "40001", "permission"),
        ("tiktok", "40105", "reconnect"),
        ("messenger", "551", "not available"),
    ],
)
def test_permanent_errors_fail_at_once_with_a_human_message(
    all_channels, conversation_for, fake, provider, code, words
):
    message = message_send(conversation=conversation_for(provider), text="no")
    fake.inject("error", code=code)
    assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.attempts == 1 and message.error_code == code
    assert words in message.error_message


def test_an_invalid_token_puts_the_channel_in_error(tiktok_channel, conversation_for, fake):
    message = message_send(conversation=conversation_for("tiktok"), text="x")
    fake.inject("error", code="40105")
    message_deliver(message_id=message.pk)
    tiktok_channel.refresh_from_db()
    assert tiktok_channel.status == "error" and "reconnect" in tiktok_channel.last_error


def test_the_agent_can_retry_a_failed_message(whatsapp_channel, conversation_for, fake):
    message = message_send(conversation=conversation_for("whatsapp"), text="again")
    fake.inject("error", code="131026")
    message_deliver(message_id=message.pk)
    message = message_retry(message=Message.objects.get(pk=message.pk))
    assert message.status == "queued" and message.attempts == 0
    assert message_deliver(message_id=message.pk) == "sent"
    with pytest.raises(MessageRejected):
        message_retry(message=Message.objects.get(pk=message.pk))


# --- reply windows ----------------------------------------------------------------------


def _age(conversation, **delta):
    conversation.last_customer_message_at = timezone.now() - timedelta(**delta)
    conversation.save()
    return conversation


def test_tiktok_window_48_hours(tiktok_channel, conversation_for):
    conversation = _age(conversation_for("tiktok"), hours=49)
    with pytest.raises(ReplyWindowClosed) as exc:
        message_send(conversation=conversation, text="late")
    assert "48 hours" in exc.value.reason
    assert not Message.objects.filter(direction="out").exists()


def test_tiktok_at_most_ten_messages_before_the_customer_answers(
    tiktok_channel, conversation_for, post_webhook
):
    conversation = conversation_for("tiktok")
    for i in range(10):
        message_send(conversation=conversation, text=f"msg {i}")
    with pytest.raises(ReplyWindowClosed) as exc:
        message_send(conversation=conversation, text="eleventh")
    assert "at most 10" in exc.value.reason
    import json
    import time

    from tests.providers.helpers import load

    payload = load("tiktok", "im_receive_msg_image")  # the customer answers, now
    content = json.loads(payload["content"])
    content.update(timestamp=int(time.time() * 1000), message_id="fresh-1")
    payload["content"] = json.dumps(content)
    post_webhook("tiktok", payload)
    conversation.refresh_from_db()
    assert conversation.business_messages_since_customer == 0
    message_send(conversation=conversation, text="now it works")


def test_whatsapp_window_24_hours(whatsapp_channel, conversation_for):
    conversation = _age(conversation_for("whatsapp"), hours=25)
    with pytest.raises(ReplyWindowClosed) as exc:
        message_send(conversation=conversation, text="late")
    assert "24 hours" in exc.value.reason


def test_messenger_human_agent_tag_after_24_hours(messenger_channel, conversation_for):
    conversation = _age(conversation_for("messenger"), hours=30)
    with pytest.raises(ReplyWindowClosed):
        message_send(conversation=conversation, text="bot", author_kind="bot", rule_name="r")
    message = send_and_deliver(conversation, "human")
    assert message.status == "sent"
    (request,) = fake_requests("/messages")
    assert request["json"]["tag"] == "HUMAN_AGENT"
    assert request["json"]["messaging_type"] == "MESSAGE_TAG"
    _age(conversation, days=8)
    with pytest.raises(ReplyWindowClosed):
        message_send(conversation=conversation, text="too late")


def test_too_long_empty_and_disconnected_are_rejected(messenger_channel, conversation_for):
    conversation = conversation_for("messenger")
    with pytest.raises(MessageRejected, match="too long"):
        message_send(conversation=conversation, text="x" * 2001)
    with pytest.raises(MessageRejected, match="empty"):
        message_send(conversation=conversation, text="  ")
    Channel.objects.filter(pk=messenger_channel.pk).update(status="disconnected")
    with pytest.raises(MessageRejected, match="disconnected"):
        message_send(conversation=conversation, text="hi")


# --- tokens and the sweeper ---------------------------------------------------------------


def test_an_expiring_tiktok_token_is_refreshed_before_sending(tiktok_channel, conversation_for):
    from inbox.providers import tiktok as tt

    conversation = conversation_for("tiktok")
    tiktok_channel.token_expires_at = timezone.now() + timedelta(minutes=10)
    tiktok_channel.credentials = {
        **tiktok_channel.credentials,
        "refresh_token": f"rft.{tiktok_channel.account_id}.old",
    }
    tiktok_channel.save()
    assert tt.REQUIRED_SCOPES
    message = send_and_deliver(conversation, "fresh token")
    assert message.status == "sent"
    tiktok_channel.refresh_from_db()
    assert tiktok_channel.credentials["refresh_token"] != f"rft.{tiktok_channel.account_id}.old"
    assert tiktok_channel.token_expires_at > timezone.now() + timedelta(hours=20)
    paths = [r["path"] for r in fake_requests("/tiktok/")]
    assert paths[0].endswith("/oauth2/refresh_token/") and paths[1].endswith("/message/send/")


def test_the_sweeper_picks_up_events_and_sends_left_behind(
    whatsapp_channel, conversation_for, monkeypatch
):
    from inbox.models import WebhookEvent
    from tests.providers.helpers import load_raw

    conversation = conversation_for("whatsapp")
    queued = message_send(conversation=conversation, text="stuck")  # never enqueued (no commit)
    Message.objects.filter(pk=queued.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    stuck_claim = message_send(conversation=conversation, text="worker died")
    Message.objects.filter(pk=stuck_claim.pk).update(
        status="sending", updated_at=timezone.now() - timedelta(hours=1)
    )
    event = WebhookEvent.objects.create(
        provider="whatsapp",
        body=load_raw("whatsapp", "message_image"),
        dedup_key="left-behind",
        received_at=timezone.now() - timedelta(minutes=5),
    )
    result = sweep_pending()
    assert result["events"] == 1 and result["revived"] == 1
    event.refresh_from_db()
    assert event.status == "processed"
    queued.refresh_from_db()
    assert queued.status == "sent"
    stuck_claim.refresh_from_db()  # revived and sent by the same sweep
    assert stuck_claim.status == "sent" and stuck_claim.attempts == 1
    assert sweep_pending(now=timezone.now() + timedelta(minutes=5))["messages"] == 0


@pytest.mark.parametrize("provider", ["tiktok", "whatsapp", "messenger"])
def test_a_simulated_customer_receives_and_reads_our_message(
    all_channels, conversation_for, provider, django_capture_on_commit_callbacks
):
    channel = all_channels[provider]
    channel.settings = {"simulator": True, "simulate_statuses": True}
    channel.save()
    conversation = conversation_for(provider)
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(conversation=conversation, text="Hello there")
    message.refresh_from_db()
    assert message.status == "read"
    assert message.read_at is not None


def test_a_send_orphaned_by_a_killed_worker_is_queued_again_within_two_minutes(
    whatsapp_channel, conversation_for
):
    """The send task's hard time limit bounds a claim: past it (plus a margin) the worker is
    dead, and the sweeper (every 30 s) queues the message again."""
    from inbox.tasks import SEND_TASK_TIME_LIMIT

    conversation = conversation_for("whatsapp")
    claimed = message_send(conversation=conversation, text="in flight")
    Message.objects.filter(pk=claimed.pk).update(status="sending", updated_at=timezone.now())
    # Still possibly running: left alone.
    assert (
        sweep_pending(now=timezone.now() + timedelta(seconds=SEND_TASK_TIME_LIMIT))["revived"] == 0
    )
    # Past the limit: revived, well within two minutes of the claim.
    later = timezone.now() + timedelta(seconds=SEND_TASK_TIME_LIMIT + 16)
    assert later - timezone.now() < timedelta(seconds=90)
    assert sweep_pending(now=later)["revived"] == 1
    claimed.refresh_from_db()
    assert claimed.status in ("queued", "sent")


def test_the_sweep_that_revives_a_killed_send_sends_it_once_not_a_sweep_later(
    whatsapp_channel, conversation_for
):
    """A send worker SIGKILLed mid-send leaves its claim ``sending``. The sweep that finds it
    stale queues it and sends it at once: the customer's reply no longer waits one more sweep
    (30–60 s) after the revival. The provider receives it once."""
    from inbox.tasks import SEND_TASK_TIME_LIMIT

    conversation = conversation_for("whatsapp")
    orphan = message_send(conversation=conversation, text="claimed, then the worker died")
    Message.objects.filter(pk=orphan.pk).update(
        status="sending", attempts=1, updated_at=timezone.now()
    )
    later = timezone.now() + timedelta(seconds=SEND_TASK_TIME_LIMIT + 16)
    assert sweep_pending(now=later)["revived"] == 1
    orphan.refresh_from_db()
    assert orphan.status == "sent" and orphan.attempts == 2 and orphan.provider_message_id
    sends = [
        r
        for r in fake_requests("/messages")
        if (r["json"].get("text") or {}).get("body") == "claimed, then the worker died"
    ]
    assert len(sends) == 1
    # Nothing left for the next sweep to send again.
    assert sweep_pending(now=later + timedelta(seconds=30)) == {
        "events": 0,
        "messages": 0,
        "revived": 0,
    }
