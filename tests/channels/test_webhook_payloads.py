"""Every producer of an outbound webhook event sends the one shape docs/api.md documents for
its type: a provider's webhook, the inbox (UI and API services), sending and its worker."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from inbox.ingest.updates import status_apply
from inbox.models import Contact, Conversation, Message
from inbox.providers.base import StatusUpdate
from inbox.services.contact_records import contact_create, contact_update_details
from inbox.services.contacts import contact_update
from inbox.services.conversations import conversation_assign, conversation_set_priority
from inbox.services.sending import message_deliver, message_send

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_shapes() -> dict[str, set[str]]:
    """`event type → data keys` from the table in docs/api.md (the rows that list keys)."""
    shapes = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or "." not in cells[0] or not cells[0].startswith("`"):
            continue
        keys = set(re.findall(r"`([a-z_]+)`", cells[1]))
        if keys:
            for event_type in re.findall(r"`([a-z]+\.[a-z]+)`", cells[0]):
                shapes[event_type] = keys
    return shapes


def test_the_docs_list_the_shapes_of_the_inbox_events():
    shapes = documented_shapes()
    assert {"message.created", "conversation.updated", "contact.updated"} <= set(shapes)
    assert {"id", "name", "phone", "email"} <= shapes["contact.updated"]


def test_every_producer_sends_the_documented_shape(
    tiktok_channel, post_webhook, webhook_events, owner_a, fake
):
    produced: dict[str, list[tuple[str, set[str]]]] = {}

    def collect(source: str) -> None:
        seen = sum(len(v) for v in produced.values())
        for _tenant, event_type, data in list(webhook_events)[seen:]:
            produced.setdefault(event_type, []).append((source, set(data)))

    post_webhook("tiktok", "im_receive_msg_text")
    collect("provider webhook: a new customer")
    post_webhook("tiktok", "im_receive_msg_image")
    collect("provider webhook: a message to an open conversation")
    conversation = Conversation.objects.get()
    conversation_assign(conversation=conversation, assignee=owner_a, actor=owner_a)
    conversation_set_priority(conversation=conversation, priority=2, actor=owner_a)
    collect("inbox: assign, priority")
    contact_update(contact=Contact.objects.get(), actor=owner_a, name="Ana")
    collect("inbox: contact edit")
    api_contact = contact_create(tenant=tiktok_channel.tenant, name="Bo")
    contact_update_details(contact=api_contact, custom_attributes={"tier": "gold"})
    collect("API: contact create and update")
    conversation.last_customer_message_at = timezone.now() - timedelta(minutes=5)
    conversation.save()
    sent = message_send(conversation=conversation, text="Hello!", author_user=owner_a)
    collect("sending")
    message_deliver(message_id=sent.pk)
    collect("sending worker")
    sent.refresh_from_db()
    status_apply(
        channel=tiktok_channel,
        update=StatusUpdate(
            account_id=tiktok_channel.account_id,
            message_id=sent.provider_message_id,
            status="read",
            timestamp=timezone.now(),
        ),
    )
    collect("provider webhook: status")
    assert Message.objects.get(pk=sent.pk).status == "read"

    shapes = documented_shapes()
    expected_types = {
        "contact.created",
        "contact.updated",
        "conversation.created",
        "conversation.updated",
        "message.created",
        "message.updated",
    }
    assert set(produced) == expected_types
    for event_type, emitted in produced.items():
        for source, keys in emitted:
            assert keys == shapes[event_type], (event_type, source)
    # Each of these event types has more than one producer above.
    for event_type in ("contact.created", "contact.updated", "conversation.updated"):
        assert len({source for source, _keys in produced[event_type]}) >= 2, event_type
    assert len({source for source, _keys in produced["message.updated"]}) >= 2
