"""The batch pipeline on the real PostgreSQL: one transaction per batch, a poisoned event
failing alone, messages of a conversation in arrival order, the claim fair across accounts,
automation in the same pass, redeliveries changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.automation.models import RuleRun
from inbox.ingest.pipeline import webhook_events_drain, webhook_events_process_batch
from inbox.ingest.sweep import sweep_pending
from inbox.models import Conversation, Message, WebhookEvent

from .events import now_ms, price_rule, store, tiktok_body, tiktok_channel

SHOP_A = "-000pipelineShopA0001"
SHOP_B = "-000pipelineShopB0001"

pytestmark = pytest.mark.django_db(transaction=True)


def _messages(channel) -> list[str]:
    return list(
        Message.objects.filter(channel=channel, direction="in")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def test_messages_of_one_conversation_are_stored_in_arrival_order(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    bodies = []
    for i in range(30):
        customer = "-000custOrder1" if i % 3 else "-000custOrder2"
        bodies.append(
            tiktok_body(business=SHOP_A, customer=customer, text=f"msg {i}", at_ms=start + i)
        )
    store(bodies)

    result = webhook_events_process_batch(limit=100)

    assert (result.claimed, result.processed, result.failed) == (30, 30, 0)
    first = [m for m in _messages(channel) if int(m.split()[1]) % 3]
    assert first == [f"msg {i}" for i in range(30) if i % 3]
    conversation = Conversation.objects.get(
        channel=channel, contact__identities__external_id="-000custOrder1"
    )
    assert conversation.last_message_preview == "msg 29"
    assert Conversation.objects.filter(channel=channel).count() == 2


@pytest.fixture
def poison_trigger():
    """A real database failure for one message text (as a deadlock or a bad row would be):
    PostgreSQL refuses the INSERT, the event's savepoint rolls back."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION pipeline_test_poison() RETURNS trigger AS $$
            BEGIN
                IF NEW.text = 'poison pill' THEN
                    RAISE EXCEPTION 'poisoned message refused';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER pipeline_test_poison BEFORE INSERT ON inbox_message
                FOR EACH ROW EXECUTE FUNCTION pipeline_test_poison();
            """
        )

    def remove():
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS pipeline_test_poison ON inbox_message;"
                "DROP FUNCTION IF EXISTS pipeline_test_poison();"
            )

    yield remove
    remove()


def test_a_poisoned_event_fails_alone_and_is_retried_on_its_own(tenant_a, poison_trigger):
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    texts = ["before", "poison pill", "after"]
    ids = store(
        [
            tiktok_body(business=SHOP_A, customer=f"-000custPoison{i}", text=t, at_ms=start + i)
            for i, t in enumerate(texts)
        ]
    )

    result = webhook_events_process_batch(limit=100)

    assert (result.processed, result.failed) == (2, 1)
    assert _messages(channel) == ["before", "after"]
    poisoned = WebhookEvent.objects.get(pk=ids[1])
    assert poisoned.status == WebhookEvent.Status.PENDING
    assert poisoned.attempts == 1
    assert "poisoned message refused" in poisoned.error
    statuses = WebhookEvent.objects.filter(pk__in=[ids[0], ids[2]]).values_list("status", flat=True)
    assert set(statuses) == {WebhookEvent.Status.PROCESSED}
    # Batches leave a failed event to the sweeper: it is not claimed again and again.
    assert webhook_events_drain().claimed == 0

    poison_trigger()  # whatever refused it is fixed
    WebhookEvent.objects.filter(pk=ids[1]).update(received_at=timezone.now() - timedelta(minutes=5))
    assert sweep_pending()["events"] == 1  # retried alone (eager here)

    assert WebhookEvent.objects.get(pk=ids[1]).status == WebhookEvent.Status.PROCESSED
    assert sorted(_messages(channel)) == ["after", "before", "poison pill"]


def test_one_account_burst_takes_only_its_share_of_a_batch(tenant_a, tenant_b):
    busy, quiet = tiktok_channel(tenant_a, SHOP_A), tiktok_channel(tenant_b, SHOP_B)
    start = now_ms()
    burst = store(
        [
            tiktok_body(
                business=SHOP_A, customer=f"-000custBurst{i % 7}", text=f"a{i}", at_ms=start + i
            )
            for i in range(60)
        ]
    )
    later = store(
        [
            tiktok_body(
                business=SHOP_B, customer=f"-000custQuiet{i}", text=f"b{i}", at_ms=start + 100 + i
            )
            for i in range(6)
        ]
    )

    result = webhook_events_process_batch(limit=20)

    assert result.processed == 20
    # Round robin: every event of the quiet shop, though it arrived after the whole burst …
    assert sorted(_messages(quiet)) == sorted(f"b{i}" for i in range(6))
    # … and the oldest of the busy shop's for the rest of the batch.
    done = set(
        WebhookEvent.objects.filter(pk__in=burst, status="processed").values_list("pk", flat=True)
    )
    assert done == set(burst[:14])
    assert not WebhookEvent.objects.filter(pk__in=later, status="pending").exists()
    assert webhook_events_drain().processed == 46
    assert len(_messages(busy)) == 60


def test_automation_runs_in_the_pass_once_per_message_and_redeliveries_change_nothing(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    price_rule(tenant_a)
    start = now_ms()
    bodies = [
        tiktok_body(
            business=SHOP_A,
            customer=f"-000custAuto{i}",
            text="what is the price?" if i % 2 == 0 else "hello",
            at_ms=start + i,
        )
        for i in range(10)
    ]
    store(bodies)

    assert webhook_events_process_batch(limit=100).processed == 10

    replies = Message.objects.filter(channel=channel, author_kind="bot", kind="message")
    assert sorted(
        replies.values_list("conversation__contact__identities__external_id", flat=True)
    ) == [f"-000custAuto{i}" for i in range(0, 10, 2)]
    assert set(replies.values_list("text", flat=True)) == {"Prices!"}
    assert RuleRun.objects.filter(rule__tenant=tenant_a, outcome="fired").count() == 5

    store(bodies)  # the provider delivers all of them again (new deliveries, same messages)
    assert webhook_events_process_batch(limit=100).processed == 10
    assert Message.objects.filter(channel=channel, direction="in").count() == 10
    assert replies.count() == 5


def test_a_customer_another_batch_holds_is_left_for_the_next_claim(tenant_a):
    """Two workers never write one customer at once: the customer's advisory lock, held here
    by another connection as another worker's batch would, makes the batch leave that event
    pending (no wait, no deadlock) and process the rest."""
    import psycopg

    from inbox.ingest.pipeline import _customer_keys

    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    busy, free = store(
        [
            tiktok_body(business=SHOP_A, customer="-000custHeld", text="held", at_ms=start),
            tiktok_body(business=SHOP_A, customer="-000custFree", text="free", at_ms=start + 1),
        ]
    )
    (key,) = _customer_keys(WebhookEvent.objects.get(pk=busy))
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    try:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [key])  # its transaction stays open

        result = webhook_events_process_batch(limit=100)

        assert (result.processed, result.skipped, result.failed) == (1, 1, 0)
        assert _messages(channel) == ["free"]
        assert WebhookEvent.objects.get(pk=busy).status == WebhookEvent.Status.PENDING
        assert WebhookEvent.objects.get(pk=busy).attempts == 0
    finally:
        other.rollback()  # the other batch commits: the customer is free
        other.close()
    assert webhook_events_drain().processed == 1
    assert _messages(channel) == ["free", "held"]
