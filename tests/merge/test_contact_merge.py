"""Merging two contacts: everything moves, the kept values win unless the agent picks, one
audit entry and one `contact.merged` event; suggestions by phone and email in the contact
panel; two agents merging at once (real requests on real connections): one wins, nothing lost."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from inbox.commerce.models import Booking, Order
from inbox.models import Contact, ContactIdentity, Conversation, Message
from inbox.services.contact_merge import ContactMergeError, contact_merge
from tenants.models import AuditLog
from tests.channels.test_webhook_payloads import documented_shapes
from tests.commerce.factories import make_booking, make_order
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    LabelFactory,
    MessageFactory,
)

SLOT = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def _person(tenant, *, provider, **fields):
    """A contact with an identity on a channel of `provider`, a conversation (a customer
    message, a private note, a label), an order and a booking."""
    contact = ContactFactory(tenant=tenant, **fields)
    channel = ChannelFactory(tenant=tenant, provider=provider)
    ContactIdentityFactory(contact=contact, channel=channel)
    conversation = ConversationFactory(tenant=tenant, channel=channel, contact=contact)
    conversation.labels.add(LabelFactory(tenant=tenant, name=f"label-{provider}"))
    MessageFactory(conversation=conversation, text=f"hello from {provider}")
    MessageFactory(
        conversation=conversation, kind="note", direction="out", author_kind="agent", text="vip"
    )
    make_order(tenant=tenant, contact=contact, conversation=conversation)
    make_booking(
        tenant=tenant, contact=contact, conversation=conversation, start=SLOT, resource=provider
    )
    return contact


def _owned_by(contact_id):
    return {
        "identities": ContactIdentity.objects.filter(contact_id=contact_id).count(),
        "conversations": Conversation.objects.filter(contact_id=contact_id).count(),
        "orders": Order.objects.filter(contact_id=contact_id).count(),
        "bookings": Booking.objects.filter(contact_id=contact_id).count(),
    }


@pytest.mark.django_db
def test_merging_moves_everything_and_keeps_the_kept_contacts_values(
    tenant_a, owner_a, webhook_events
):
    keep = _person(
        tenant_a,
        provider="tiktok",
        name="Linh (TikTok)",
        phone="",
        email="linh@example.com",
        notes="Likes blue",
        custom_attributes={"tier": "gold", "city": "Hanoi"},
    )
    other = _person(
        tenant_a,
        provider="whatsapp",
        name="Linh Tran",
        phone="+84912345678",
        email="linh.tran@example.com",
        notes="Size M",
        custom_attributes={"tier": "silver", "vat": "123"},
    )
    other_id = other.pk
    messages_before = Message.objects.filter(tenant=tenant_a).count()

    result = contact_merge(keep=keep, other=other, actor=owner_a, prefer_other=["name"])

    keep.refresh_from_db()
    assert not Contact.objects.filter(pk=other_id).exists()
    assert _owned_by(keep.pk) == {"identities": 2, "conversations": 2, "orders": 2, "bookings": 2}
    assert Message.objects.filter(tenant=tenant_a).count() == messages_before  # notes too
    labels = set(
        Conversation.labels.through.objects.filter(conversation__contact=keep).values_list(
            "label__name", flat=True
        )
    )
    assert labels == {"label-tiktok", "label-whatsapp"}
    assert keep.name == "Linh Tran"  # the agent chose the other's name
    assert keep.email == "linh@example.com"  # the kept value wins
    assert keep.phone == "+84912345678"  # an empty field is filled
    assert keep.notes == "Likes blue\n\nSize M"
    assert keep.custom_attributes == {"tier": "gold", "city": "Hanoi", "vat": "123"}
    assert result.moved["inbox.conversation"] == 1

    [audit] = AuditLog.objects.filter(tenant=tenant_a, action="contact.merged")
    assert audit.details["kept_id"] == keep.pk and audit.details["merged_id"] == other_id
    merged = [data for _t, kind, data in webhook_events if kind == "contact.merged"]
    assert len(merged) == 1
    assert merged[0]["id"] == keep.pk and merged[0]["merged_id"] == other_id
    assert set(merged[0]) == documented_shapes()["contact.merged"]


@pytest.mark.django_db
def test_a_contact_is_not_merged_with_itself_or_another_business(tenant_a, tenant_b, owner_a):
    mine = ContactFactory(tenant=tenant_a)
    theirs = ContactFactory(tenant=tenant_b)
    with pytest.raises(ContactMergeError):
        contact_merge(keep=mine, other=mine, actor=owner_a)
    with pytest.raises(ContactMergeError):
        contact_merge(keep=mine, other=theirs, actor=owner_a)
    assert Contact.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_the_contact_panel_suggests_contacts_with_the_same_phone_or_email(
    tenant_a, agent_a, viewer_a, client_for
):
    tenant_a.country = "VN"
    tenant_a.save(update_fields=["country"])
    tiktok = ContactFactory(tenant=tenant_a, name="Linh TikTok", phone="091 234 5678")
    whatsapp = ContactFactory(tenant=tenant_a, name="Linh WhatsApp", phone="+84912345678")
    by_email = ContactFactory(tenant=tenant_a, name="Linh Mail", email="LINH@example.com")
    stranger = ContactFactory(tenant=tenant_a, name="Someone Else", phone="+84900000000")
    tiktok.email = "linh@example.com"
    tiktok.save()
    conversation = ConversationFactory(tenant=tenant_a, contact=tiktok)
    url = f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/contact/"
    panel = client_for(agent_a).get(url).content.decode()
    assert f'data-merge-with="{whatsapp.pk}"' in panel
    assert f'data-merge-with="{by_email.pk}"' in panel
    assert f'data-merge-with="{stranger.pk}"' not in panel
    # A viewer cannot merge: no suggestions offered.
    assert "data-merge-with" not in client_for(viewer_a).get(url).content.decode()


@pytest.mark.django_db
def test_an_agent_merges_from_the_merge_page(tenant_a, agent_a, viewer_a, client_for):
    keep = _person(tenant_a, provider="tiktok", name="Keep", email="a@example.com")
    other = _person(tenant_a, provider="whatsapp", name="Other", email="b@example.com")
    conversation = Conversation.objects.filter(contact=keep).first()
    url = f"/t/{tenant_a.slug}/contacts/{keep.pk}/merge/"
    page = client_for(agent_a).get(url, {"other": other.pk, "c": conversation.pk})
    assert page.status_code == 200
    assert 'value="email"' in page.content.decode()  # a conflicting value to choose
    assert client_for(viewer_a).post(url, {"other": other.pk}).status_code == 403
    done = client_for(agent_a).post(
        url, {"other": other.pk, "prefer_other": ["email"], "c": conversation.pk}
    )
    assert done.status_code == 302 and f"c={conversation.pk}" in done["Location"]
    keep.refresh_from_db()
    assert keep.email == "b@example.com" and keep.name == "Keep"
    assert _owned_by(keep.pk)["conversations"] == 2
    again = client_for(agent_a).post(url, {"other": other.pk})
    assert again.status_code == 404  # the other contact is gone


@pytest.mark.django_db
def test_merge_through_the_api(tenant_a, tenant_b, key_api):
    keep = _person(tenant_a, provider="tiktok", name="Keep")
    other = _person(tenant_a, provider="whatsapp", name="Other", phone="+84912345678")
    foreign = ContactFactory(tenant=tenant_b)
    url = f"/api/v1/contacts/{keep.pk}/merge/"
    assert key_api.post(url, {"other": foreign.pk}).status_code == 422
    assert key_api.post(url, {"other": keep.pk}).status_code == 422
    assert key_api.post(url, {"other": other.pk, "prefer_other": ["bogus"]}).status_code == 400
    response = key_api.post(url, {"other": other.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == keep.pk and body["name"] == "Keep" and body["phone"] == "+84912345678"
    assert len(body["identities"]) == 2
    assert key_api.post(url, {"other": other.pk}).status_code == 422


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("direction", ["same way", "opposite ways"])
def test_two_agents_merging_at_once_one_wins_and_nothing_is_lost(
    tenant_a, owner_a, agent_a, direction
):
    from tenants.services import api_key_create

    first = _person(tenant_a, provider="tiktok", name="First")
    second = _person(tenant_a, provider="whatsapp", name="Second")
    expected = {"identities": 2, "conversations": 2, "orders": 2, "bookings": 2}
    pairs = [(first, second), (first, second) if direction == "same way" else (second, first)]
    raw = api_key_create(tenant=tenant_a, name="crm", read_only=False).raw_key
    barrier = threading.Barrier(2)
    answers = []

    def merge(keep, other):
        try:
            client = Client()
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/v1/contacts/{keep.pk}/merge/",
                {"other": other.pk},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {raw}",
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()

    codes = sorted(code for code, _body in answers)
    # The loser found one of the two gone: after waiting on the row locks (409 "merged
    # meanwhile"), or before it got there (its own contact 404, the other 422 "no such
    # contact"); never a 500 (no deadlock: rows are locked in id order), never a half merge.
    assert codes[0] == 200 and codes[1] in (404, 409, 422), answers
    loser = next(body for code, body in answers if code != 200)
    assert loser["error"]["message"]
    [survivor] = Contact.objects.filter(tenant=tenant_a)
    assert _owned_by(survivor.pk) == expected
    assert AuditLog.objects.filter(tenant=tenant_a, action="contact.merged").count() == 1
