"""The batch pipeline's set-based store (``inbox/ingest/batch_receive.py``) on the real
PostgreSQL: what one batch of plain customer messages leaves behind is what one event after
another left — contacts and conversations once, messages in arrival order, conversations
reopened and touched, webhooks and automation once — across customers, conversations and
tenants, with a poisoned event failing alone and a customer's other kinds of events keeping
their place in the order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.automation.models import MessageAutomation
from inbox.ingest.pipeline import webhook_events_process_batch
from inbox.models import Contact, ContactIdentity, Conversation, Message, WebhookEvent

from .events import now_ms, store, tiktok_body, tiktok_channel

SHOP_A = "-000setBasedShopA0001"
SHOP_B = "-000setBasedShopB0001"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def set_based_store_used(request, caplog):
    """Each test's plain messages went through the set-based store, not its fallback (only the
    poisoned batch falls back to one event at a time)."""
    yield
    if "poison_trigger" not in request.fixturenames:
        fallbacks = [r for r in caplog.records if "set-based store" in r.getMessage()]
        assert fallbacks == []


def _texts(conversation) -> list[str]:
    return list(
        conversation.messages.filter(direction="in").order_by("pk").values_list("text", flat=True)
    )


def _body(customer: str, text: str, at_ms: int, *, shop=SHOP_A, pcid: str | None = None):
    body = tiktok_body(business=shop, customer=customer, text=text, at_ms=at_ms)
    if pcid is not None:
        body = body.replace(f"0:1:{customer}".encode(), pcid.encode())
    return body


def test_many_events_of_one_new_customer_make_one_contact_and_conversation_in_order(
    tenant_a, webhook_events
):
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    store([_body("-000custMany", f"m{i}", start + i) for i in range(12)])

    result = webhook_events_process_batch(limit=100)

    assert (result.processed, result.failed) == (12, 0)
    identity = ContactIdentity.objects.get(channel=channel, external_id="-000custMany")
    assert Contact.objects.filter(tenant=tenant_a).count() == 1
    assert identity.contact.name == "name -000custMany"
    conversation = Conversation.objects.get(channel=channel)
    assert conversation.contact_id == identity.contact_id
    assert _texts(conversation) == [f"m{i}" for i in range(12)]
    assert conversation.last_message_preview == "m11"
    assert conversation.provider_conversation_id == "0:1:-000custMany"
    types = webhook_events.types()
    assert types.count("contact.created") == 1
    assert types.count("conversation.created") == 1
    assert types.count("message.created") == 12
    assert types.count("conversation.updated") == 11  # every message but the one that opened it


def test_a_customer_with_two_conversations_gets_each_message_in_its_own(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    store([_body("-000custTwo", "first x", start, pcid="conv-x")])
    webhook_events_process_batch(limit=100)
    older = Conversation.objects.get(channel=channel)
    newer = Conversation.objects.create(
        tenant=tenant_a,
        channel=channel,
        contact=older.contact,
        provider_conversation_id="conv-y",
        last_message_at=older.last_message_at + timedelta(milliseconds=1),
        status=Conversation.Status.RESOLVED,
    )
    store(
        [
            _body("-000custTwo", f"{pcid} {i}", start + 10 + i, pcid=f"conv-{pcid}")
            for i, pcid in enumerate("xyxyyx")
        ]
    )

    assert webhook_events_process_batch(limit=100).processed == 6

    assert _texts(older) == ["first x", "x 0", "x 2", "x 5"]
    assert _texts(newer) == ["y 1", "y 3", "y 4"]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.last_message_preview == "x 5"
    assert newer.last_message_preview == "y 4"
    assert newer.status == Conversation.Status.OPEN  # the customer wrote again: reopened
    assert Conversation.objects.filter(channel=channel).count() == 2


def test_a_batch_mixing_tenants_keeps_each_tenants_rows_apart(tenant_a, tenant_b):
    shop_a, shop_b = tiktok_channel(tenant_a, SHOP_A), tiktok_channel(tenant_b, SHOP_B)
    start = now_ms()
    bodies = []
    for i in range(20):
        shop = SHOP_A if i % 2 else SHOP_B
        bodies.append(_body(f"-000custMix{i % 3}", f"{shop[-5:]} {i}", start + i, shop=shop))
    store(bodies)

    assert webhook_events_process_batch(limit=100).processed == 20

    for tenant, channel in ((tenant_a, shop_a), (tenant_b, shop_b)):
        conversations = Conversation.objects.filter(channel=channel)
        assert conversations.count() == 3  # the same customer ids are other people there
        assert set(conversations.values_list("tenant_id", flat=True)) == {tenant.pk}
        assert set(
            Contact.objects.filter(conversations__channel=channel).values_list(
                "tenant_id", flat=True
            )
        ) == {tenant.pk}
        messages = Message.objects.filter(channel=channel)
        assert messages.count() == 10
        assert set(messages.values_list("tenant_id", flat=True)) == {tenant.pk}
    assert set(WebhookEvent.objects.values_list("tenant_id", flat=True)) == {
        tenant_a.pk,
        tenant_b.pk,
    }


@pytest.fixture
def poison_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION set_based_test_poison() RETURNS trigger AS $$
            BEGIN
                IF NEW.text = 'poison pill' THEN
                    RAISE EXCEPTION 'poisoned message refused';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER set_based_test_poison BEFORE INSERT ON inbox_message
                FOR EACH ROW EXECUTE FUNCTION set_based_test_poison();
            """
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS set_based_test_poison ON inbox_message;"
            "DROP FUNCTION IF EXISTS set_based_test_poison();"
        )


def test_a_poisoned_event_amid_the_set_based_writes_fails_alone(tenant_a, poison_trigger):
    from inbox.automation import services

    services.rule_save(
        tenant=tenant_a,
        actor=None,
        data={"name": "Price", "trigger": "keywords", "reply_text": "Prices!"},
        keywords=["price"],
    )
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    texts = [f"price {i}" if i % 4 == 0 else f"hello {i}" for i in range(16)]
    texts[7] = "poison pill"
    ids = store([_body(f"-000custPoisonSet{i % 5}", t, start + i) for i, t in enumerate(texts)])

    result = webhook_events_process_batch(limit=100)

    assert (result.processed, result.failed) == (15, 1)
    stored = Message.objects.filter(channel=channel, direction="in")
    assert sorted(stored.values_list("text", flat=True)) == sorted(
        t for t in texts if t != "poison pill"
    )
    poisoned = WebhookEvent.objects.get(pk=ids[7])
    assert (poisoned.status, poisoned.attempts) == (WebhookEvent.Status.PENDING, 1)
    # Automation saw every stored customer message once; the keyword ones were answered.
    assert MessageAutomation.objects.filter(message__in=stored).count() == 15
    replies = Message.objects.filter(channel=channel, author_kind="bot", kind="message")
    assert replies.count() == 4
    # No contact or conversation was left behind twice by the rolled-back attempt.
    assert Conversation.objects.filter(channel=channel).count() == 5
    assert Contact.objects.filter(tenant=tenant_a).count() == 5


def test_a_customers_other_events_keep_their_place_in_the_order(tenant_a):
    """A reply that could be a satisfaction rating goes one event at a time; the same
    customer's plain messages of the batch go with it, in arrival order."""
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    store(
        [
            _body("-000custRate", "before", start),
            _body("-000custPlain", "plain 1", start + 1),
            _body("-000custRate", "5", start + 2),
            _body("-000custRate", "after", start + 3),
            _body("-000custPlain", "plain 2", start + 4),
        ]
    )

    assert webhook_events_process_batch(limit=100).processed == 5

    rating = Conversation.objects.get(
        channel=channel, contact__identities__external_id="-000custRate"
    )
    assert _texts(rating) == ["before", "5", "after"]
    assert rating.last_message_preview == "after"
    plain = Conversation.objects.get(
        channel=channel, contact__identities__external_id="-000custPlain"
    )
    assert _texts(plain) == ["plain 1", "plain 2"]


def test_redelivered_and_doubled_messages_in_one_batch_are_stored_once(tenant_a, webhook_events):
    channel = tiktok_channel(tenant_a, SHOP_A)
    start = now_ms()
    first = _body("-000custTwice", "once", start)
    store([first, _body("-000custTwice", "other", start + 1), first])  # the same message twice

    assert webhook_events_process_batch(limit=100).processed == 3
    store([first])  # and once more, later
    assert webhook_events_process_batch(limit=100).processed == 1

    assert list(
        Message.objects.filter(channel=channel).order_by("pk").values_list("text", flat=True)
    ) == ["once", "other"]
    assert webhook_events.types().count("message.created") == 2


def test_a_known_customer_is_reopened_named_and_given_the_providers_conversation_id(tenant_a):
    channel = tiktok_channel(tenant_a, SHOP_A)
    contact = Contact.objects.create(tenant=tenant_a, name="")
    ContactIdentity.objects.create(
        tenant=tenant_a, contact=contact, channel=channel, external_id="-000custKnown"
    )
    earlier = timezone.now() - timedelta(hours=2)
    conversation = Conversation.objects.create(
        tenant=tenant_a,
        channel=channel,
        contact=contact,
        status=Conversation.Status.SNOOZED,
        snoozed_until=timezone.now() + timedelta(days=1),
        last_message_at=earlier,
        last_customer_message_at=earlier,
        business_messages_since_customer=3,
    )
    start = now_ms()
    store([_body("-000custKnown", f"k{i}", start + i) for i in range(3)])

    assert webhook_events_process_batch(limit=100).processed == 3

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.snoozed_until is None
    assert conversation.business_messages_since_customer == 0
    assert conversation.last_message_preview == "k2"
    assert conversation.last_customer_message_at > earlier
    assert conversation.provider_conversation_id == "0:1:-000custKnown"
    contact.refresh_from_db()
    assert contact.name == "name -000custKnown"
    assert ContactIdentity.objects.get(pk=contact.identities.get().pk).username == (
        "name -000custKnown"
    )
    assert _texts(conversation) == ["k0", "k1", "k2"]
