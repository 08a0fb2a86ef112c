"""New Messenger customers in the batch pipeline: their names are asked of the profile API
after the batch commits (outside any transaction), once per customer, and their events are
then stored and automated together, as a batch of their own."""

from __future__ import annotations

import pytest
from django.db import transaction

from inbox.automation.models import RuleRun
from inbox.ingest.pipeline import webhook_events_process_batch
from inbox.models import Channel, Contact, Message, WebhookEvent
from inbox.providers import messenger
from inbox.providers.base import ProviderError
from inbox.simulator.store import DatabaseStore

from .events import messenger_body, now_ms, price_rule, store

PAGE = "104857362918299"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(tenant_a):
    channel = Channel.objects.create(
        tenant=tenant_a,
        provider="messenger",
        name="page",
        account_id=PAGE,
        credentials={"access_token": f"EAA.{PAGE}.t"},
        settings={"simulator": True},
    )
    price_rule(tenant_a)
    return channel


@pytest.fixture
def lookups(monkeypatch):
    """The profile API's calls: (customer asked, whether inside a transaction)."""
    calls = []
    real = messenger.fetch_profile_name

    def spying(client, **kwargs):
        calls.append((kwargs["external_id"], transaction.get_connection().in_atomic_block))
        return real(client, **kwargs)

    monkeypatch.setattr(messenger, "fetch_profile_name", spying)
    return calls


def _in_texts(channel, customer):
    return list(
        Message.objects.filter(
            channel=channel, direction="in", conversation__contact__identities__external_id=customer
        )
        .order_by("pk")
        .values_list("text", flat=True)
    )


def test_new_customers_are_named_once_then_stored_and_answered_in_one_pass(page, lookups):
    DatabaseStore().set_profile("7100000000000001", "Camille Martin")
    DatabaseStore().set_profile("7100000000000002", "Trần Thị Mai")
    start = now_ms()
    store(
        [
            messenger_body(page=PAGE, customer="7100000000000001", text="hello", at_ms=start),
            messenger_body(page=PAGE, customer="7100000000000002", text="price?", at_ms=start + 1),
            messenger_body(
                page=PAGE, customer="7100000000000001", text="the price?", at_ms=start + 2
            ),
        ],
        provider="messenger",
    )

    result = webhook_events_process_batch(limit=100)

    assert (result.processed, result.failed, result.deferred) == (3, 0, 3)
    assert sorted(lookups) == [("7100000000000001", False), ("7100000000000002", False)]
    assert sorted(Contact.objects.values_list("name", flat=True)) == [
        "Camille Martin",
        "Trần Thị Mai",
    ]
    assert _in_texts(page, "7100000000000001") == ["hello", "the price?"]
    replies = Message.objects.filter(channel=page, author_kind="bot", kind="message")
    assert sorted(
        replies.values_list("conversation__contact__identities__external_id", flat=True)
    ) == ["7100000000000001", "7100000000000002"]
    assert RuleRun.objects.filter(outcome="fired").count() == 2
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}

    # The customers are known now: their next messages are not looked up again.
    store(
        [messenger_body(page=PAGE, customer="7100000000000002", text="thanks", at_ms=start + 3)],
        provider="messenger",
    )
    assert webhook_events_process_batch(limit=100).deferred == 0
    assert len(lookups) == 2
    assert _in_texts(page, "7100000000000002") == ["price?", "thanks"]


@pytest.mark.parametrize(
    "failure",
    [ProviderError("the profile API answered 503", code=503, permanent=False), KeyError("name")],
)
def test_a_profile_api_failure_stores_the_message_nameless_not_stuck(page, monkeypatch, failure):
    def down(client, **kwargs):
        raise failure

    monkeypatch.setattr(messenger, "fetch_profile_name", down)
    store(
        [messenger_body(page=PAGE, customer="7100000000000003", text="price?", at_ms=now_ms())],
        provider="messenger",
    )

    assert webhook_events_process_batch(limit=100).processed == 1
    contact = Contact.objects.get()
    assert contact.name == ""
    assert _in_texts(page, "7100000000000003") == ["price?"]
    assert Message.objects.filter(channel=page, author_kind="bot").count() == 1
    assert WebhookEvent.objects.get().status == "processed"
