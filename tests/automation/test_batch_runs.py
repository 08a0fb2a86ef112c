"""Automation of a processing pass set-based (``inbox/automation/services/batch_runs.py``) on
the real PostgreSQL: what one batch leaves is what one message after another left — the cap
counting the batch's own replies, cooldowns started within the batch, a reply's counters on
its conversation, the notes of capped replies in order, each message automated exactly once
— and tenants whose rules do more than reply still go one by one in the same batch."""

from __future__ import annotations

import pytest

from inbox.automation import services
from inbox.automation.models import MessageAutomation, RuleRun
from inbox.ingest.pipeline import webhook_events_process_batch
from inbox.models import Conversation, Label, Message
from tests.pipeline.events import now_ms, store, tiktok_body, tiktok_channel

SHOP_A = "-000batchRunsShopA001"
SHOP_B = "-000batchRunsShopB001"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def set_based_automation_did_not_fall_back(caplog):
    yield
    fallbacks = [r for r in caplog.records if "set-based automation" in r.getMessage()]
    assert fallbacks == []


def _rule(tenant, *, cooldown: int = 0, **data):
    return services.rule_save(
        tenant=tenant,
        actor=None,
        data={
            "name": "Price",
            "trigger": "keywords",
            "reply_text": "Prices for {{ contact.name }}!",
            "cooldown_minutes": cooldown,
            **data,
        },
        keywords=["price"],
    )


def _store(shop: str, customer: str, texts: list[str], start: int) -> list[bytes]:
    bodies = [
        tiktok_body(business=shop, customer=customer, text=text, at_ms=start + i)
        for i, text in enumerate(texts)
    ]
    store(bodies)
    return bodies


def _bot_rows(conversation) -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(conversation=conversation, author_kind="bot")
        .order_by("pk")
        .values_list("kind", "text")
    )


def test_the_cap_counts_the_batchs_own_replies_and_notes_follow_in_order(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    rule = _rule(tenant_a)
    bodies = _store(SHOP_A, "-000custCap", [f"price {i}" for i in range(5)], now_ms())

    assert webhook_events_process_batch(limit=100).processed == 5

    conversation = Conversation.objects.get(channel=channel)
    reply = "Prices for name -000custCap!"
    capped = "Auto-reply of rule “Price” skipped: 3 replies in the last hour."
    assert _bot_rows(conversation) == [("message", reply)] * 3 + [("activity", capped)] * 2
    runs = RuleRun.objects.filter(rule=rule).order_by("message_id")
    assert [r.outcome for r in runs] == ["fired"] * 3 + ["capped"] * 2
    assert [r.detail for r in runs] == [""] * 3 + [capped] * 2
    conversation.refresh_from_db()
    assert conversation.business_messages_since_customer == 3
    assert conversation.last_message_preview == reply
    # Delivered through the send task, once each (eager here).
    sent = Message.objects.filter(conversation=conversation, kind="message", author_kind="bot")
    assert set(sent.values_list("status", flat=True)) == {"sent"}
    inbound = Message.objects.filter(conversation=conversation, direction="in")
    assert MessageAutomation.objects.filter(message__in=inbound).count() == 5

    store(bodies)  # redelivered: nothing more
    assert webhook_events_process_batch(limit=100).processed == 5
    assert len(_bot_rows(conversation)) == 5
    assert RuleRun.objects.filter(rule=rule).count() == 5


def test_a_cooldown_started_in_the_batch_holds_for_its_later_messages(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    rule = _rule(tenant_a, cooldown=60)
    _store(SHOP_A, "-000custCool", ["price?", "hello", "price again", "price!"], now_ms())

    assert webhook_events_process_batch(limit=100).processed == 4

    conversation = Conversation.objects.get(channel=channel)
    outcomes = list(
        RuleRun.objects.filter(rule=rule).order_by("message_id").values_list("outcome", flat=True)
    )
    assert outcomes == ["fired", "cooldown", "cooldown"]
    assert _bot_rows(conversation) == [("message", "Prices for name -000custCool!")]

    # A later batch still sees the run of the first (read from the database).
    _store(SHOP_A, "-000custCool", ["price now"], now_ms() + 10)
    assert webhook_events_process_batch(limit=100).processed == 1
    assert RuleRun.objects.filter(rule=rule, outcome="cooldown").count() == 3


def test_the_cap_reads_the_replies_of_earlier_batches(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    _rule(tenant_a)
    start = now_ms()
    _store(SHOP_A, "-000custTwice", ["price 1", "price 2"], start)
    webhook_events_process_batch(limit=100)
    _store(SHOP_A, "-000custTwice", ["price 3", "price 4"], start + 10)
    webhook_events_process_batch(limit=100)

    conversation = Conversation.objects.get(channel=channel)
    kinds = [kind for kind, _text in _bot_rows(conversation)]
    assert kinds == ["message", "message", "message", "activity"]


def test_tenants_whose_rules_do_more_than_reply_go_one_by_one_in_the_same_batch(tenant_a, tenant_b):
    channel_a = tiktok_channel(tenant_a, SHOP_A)
    channel_b = tiktok_channel(tenant_b, SHOP_B)
    _rule(tenant_a)
    vip = Label.objects.create(tenant=tenant_b, name="price asked")
    rule_b = _rule(tenant_b)
    rule_b.add_labels.set([vip])
    start = now_ms()
    _store(SHOP_A, "-000custMixA", ["price a"], start)
    _store(SHOP_B, "-000custMixB", ["price b"], start + 1)

    assert webhook_events_process_batch(limit=100).processed == 2

    a = Conversation.objects.get(channel=channel_a)
    b = Conversation.objects.get(channel=channel_b)
    assert _bot_rows(a) == [("message", "Prices for name -000custMixA!")]
    assert ("message", "Prices for name -000custMixB!") in _bot_rows(b)
    assert list(b.labels.all()) == [vip]
    assert RuleRun.objects.filter(rule=rule_b, outcome="fired").count() == 1


def test_a_refused_reply_leaves_its_note_and_sends_nothing(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    rule = _rule(tenant_a, reply_text="x" * 7000)  # longer than TikTok takes
    _store(SHOP_A, "-000custLong", ["price?"], now_ms())

    assert webhook_events_process_batch(limit=100).processed == 1

    conversation = Conversation.objects.get(channel=channel)
    ((kind, text),) = _bot_rows(conversation)
    assert kind == "activity"
    assert text.startswith("Auto-reply of rule “Price” not sent: The message is too long")
    assert RuleRun.objects.get(rule=rule).outcome == "window"
    conversation.refresh_from_db()
    assert conversation.business_messages_since_customer == 0
