"""The inbox's REST API: contacts, conversations, messages, labels, channels — for every role,
from another tenant, with filters and pagination."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Contact, Conversation, Message
from tests.api.conftest import results
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    LabelFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["owner", "admin", "agent", "viewer", "key", "ro_key"]
REPLY_ROLES = {"owner", "admin", "agent", "key"}
LABEL_ROLES = {"owner", "admin", "key"}


@pytest.fixture
def world(tenant_a):
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp")
    contact = ContactFactory(tenant=tenant_a, name="Ana Souza", phone="+5511999", email="a@x.io")
    ContactIdentityFactory(contact=contact, channel=channel, external_id="5511999")
    conversation = ConversationFactory(tenant=tenant_a, channel=channel, contact=contact)
    message = MessageFactory(conversation=conversation, text="Hi, is it in stock?")
    label = LabelFactory(tenant=tenant_a, name="VIP")
    return {
        "channel": channel,
        "contact": contact,
        "conversation": conversation,
        "message": message,
        "label": label,
    }


# --- Channels ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_channels_without_credentials(role_api, role, world):
    api = role_api(role)
    body = results(api.get("/api/v1/channels/"))
    assert [c["id"] for c in body] == [world["channel"].pk]
    detail = api.get(f"/api/v1/channels/{world['channel'].pk}/")
    assert detail.status_code == 200
    assert "credentials" not in detail.json()
    assert "token-for-tests" not in detail.content.decode()


def test_channels_are_read_only(key_api, world):
    assert key_api.post("/api/v1/channels/", {"name": "x"}).status_code == 405
    assert key_api.delete(f"/api/v1/channels/{world['channel'].pk}/").status_code == 405


# --- Contacts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_contacts_for_every_role(role_api, role, world, tenant_a):
    api = role_api(role)
    listed = results(api.get("/api/v1/contacts/"))
    assert [c["id"] for c in listed] == [world["contact"].pk]
    assert listed[0]["identities"] == [
        {
            "channel_id": world["channel"].pk,
            "provider": "whatsapp",
            "external_id": "5511999",
            "username": "",
        }
    ]
    assert api.get(f"/api/v1/contacts/{world['contact'].pk}/").status_code == 200
    created = api.post("/api/v1/contacts/", {"name": "New Person", "email": "n@x.io"})
    if role in REPLY_ROLES:
        assert created.status_code == 201, created.content
        assert Contact.objects.for_tenant(tenant_a).filter(name="New Person").exists()
    else:
        assert created.status_code == 403
        assert created.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("role", ROLES)
def test_contact_updates_by_role(role_api, role, world):
    api = role_api(role)
    updated = api.patch(f"/api/v1/contacts/{world['contact'].pk}/", {"name": "Ana S."})
    assert updated.status_code == (200 if role in REPLY_ROLES else 403), updated.content


def test_contact_create_and_update_emit_crm_events(key_api, world, tenant_a, receiver):
    from inbox.outbound_webhooks.models import WebhookDelivery
    from inbox.outbound_webhooks.services import webhook_subscription_create

    webhook_subscription_create(
        tenant=tenant_a,
        actor=None,
        url=receiver.url,
        event_types=["contact.created", "contact.updated"],
    )
    created = key_api.post(
        "/api/v1/contacts/", {"name": "Bo", "custom_attributes": {"crm_id": "C-1"}}
    ).json()
    response = key_api.patch(
        f"/api/v1/contacts/{created['id']}/",
        {"phone": "+33 6 12 34 56 78", "custom_attributes": {"tier": "gold", "crm_id": None}},
    )
    assert response.status_code == 200
    assert response.json()["custom_attributes"] == {"tier": "gold"}
    assert response.json()["phone"] == "+33 6 12 34 56 78"
    events = list(WebhookDelivery.objects.order_by("id").values_list("event_type", flat=True))
    assert events[0] == "contact.created" and "contact.updated" in events


def test_an_invalid_contact_phone_is_a_400(key_api, world):
    response = key_api.patch(f"/api/v1/contacts/{world['contact'].pk}/", {"phone": "call me"})
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["details"]


def test_contact_filters(key_api, tenant_a, world):
    ContactFactory(tenant=tenant_a, name="Bruno Lima", email="bruno@shop.io")
    old = ContactFactory(tenant=tenant_a, name="Old One")
    Contact.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))

    def names(**params):
        return sorted(c["name"] for c in results(key_api.get("/api/v1/contacts/", params)))

    assert names(q="bruno") == ["Bruno Lima"]
    assert names(email="A@X.IO") == ["Ana Souza"]
    assert names(channel=world["channel"].pk) == ["Ana Souza"]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert "Old One" not in names(updated_after=since)
    bad = key_api.get("/api/v1/contacts/", {"updated_after": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_a_client_cannot_choose_the_tenant_of_a_contact(key_api, tenant_a, tenant_b):
    response = key_api.post("/api/v1/contacts/", {"name": "Sneaky", "tenant": tenant_b.pk})
    assert response.status_code == 201
    assert Contact.objects.get(name="Sneaky").tenant == tenant_a


# --- Conversations ----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_conversations_and_messages_for_every_role(role_api, role, world):
    api = role_api(role)
    conversation = world["conversation"]
    listed = results(api.get("/api/v1/conversations/"))
    assert [c["id"] for c in listed] == [conversation.pk]
    assert listed[0]["contact"]["name"] == "Ana Souza"
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 200
    messages = results(api.get(f"/api/v1/conversations/{conversation.pk}/messages/"))
    assert [m["text"] for m in messages] == ["Hi, is it in stock?"]


@pytest.mark.parametrize("role", ROLES)
def test_conversation_writes_by_role(role_api, role, world, agent_a):
    api = role_api(role)
    base = f"/api/v1/conversations/{world['conversation'].pk}/"
    answers = [
        api.post(base + "messages/", {"text": "Yes, we have it."}),
        api.post(base + "assign/", {"assignee": agent_a.pk}),
        api.post(base + "status/", {"status": "pending"}),
        api.post(base + "labels/", {"label": world["label"].pk}),
        api.delete(base + f"labels/{world['label'].pk}/"),
    ]
    expected = [201, 200, 200, 200, 200] if role in REPLY_ROLES else [403] * 5
    assert [a.status_code for a in answers] == expected, [a.content for a in answers]


def test_sending_a_message_queues_it(key_api, world):
    conversation = world["conversation"]
    response = key_api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"text": "Yes, we have it."}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["direction"] == "out"
    message = Message.objects.get(pk=body["id"])
    assert message.conversation == conversation and message.author_kind == "agent"


def test_sending_outside_the_reply_window_is_a_422_and_stores_nothing(key_api, world):
    conversation = world["conversation"]
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=3)
    )
    response = key_api.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"text": "Still there?"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "reply_window_closed" and "24 hours" in error["message"]
    assert not Message.objects.filter(direction="out").exists()


def test_an_idempotent_send_sends_once(key_api, world):
    url = f"/api/v1/conversations/{world['conversation'].pk}/messages/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "send-1"}
    first = key_api.post(url, {"text": "Once"}, headers=headers)
    second = key_api.post(url, {"text": "Once"}, headers=headers)
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(direction="out").count() == 1


def test_assign_status_and_labels_change_the_conversation(key_api, world, agent_a, owner_b):
    base = f"/api/v1/conversations/{world['conversation'].pk}/"
    assert key_api.post(base + "assign/", {"assignee": agent_a.pk}).json()["assignee"]["id"] == (
        agent_a.pk
    )
    refused = key_api.post(base + "assign/", {"assignee": owner_b.pk})
    assert refused.status_code == 422 and "assignee" in refused.json()["error"]["details"]
    assert key_api.post(base + "assign/", {"assignee": None}).json()["assignee"] is None
    snooze = key_api.post(base + "status/", {"status": "snoozed"})
    assert snooze.status_code == 422
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    body = key_api.post(base + "status/", {"status": "snoozed", "snoozed_until": until}).json()
    assert body["status"] == "snoozed" and body["snoozed_until"]
    labelled = key_api.post(base + "labels/", {"label": world["label"].pk}).json()
    assert [lab["name"] for lab in labelled["labels"]] == ["VIP"]
    removed = key_api.delete(base + f"labels/{world['label'].pk}/").json()
    assert removed["labels"] == []


def test_conversation_filters(key_api, session_api, tenant_a, world, agent_a):
    channel2 = ChannelFactory(tenant=tenant_a, provider="messenger")
    other = ConversationFactory(tenant=tenant_a, channel=channel2, status="resolved")
    mine = ConversationFactory(tenant=tenant_a, channel=world["channel"], assignee=agent_a)
    ad = ConversationFactory(
        tenant=tenant_a, channel=world["channel"], source="tiktok_ad", campaign_id="c-9"
    )
    world["conversation"].labels.add(world["label"])

    def ids(api=key_api, **params):
        return sorted(c["id"] for c in results(api.get("/api/v1/conversations/", params)))

    everything = sorted([world["conversation"].pk, other.pk, mine.pk, ad.pk])
    assert ids() == everything
    assert ids(status="resolved") == [other.pk]
    assert ids(channel=channel2.pk) == [other.pk]
    assert ids(assignee=agent_a.pk) == [mine.pk]
    assert world["conversation"].pk in ids(assignee="unassigned")
    assert ids(label=world["label"].pk) == [world["conversation"].pk]
    assert ids(from_ad="true") == [ad.pk]
    assert ids(campaign="c-9") == [ad.pk]
    assert ids(api=session_api(agent_a), assignee="me") == [mine.pk]
    bad = key_api.get("/api/v1/conversations/", {"status": "nope"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["details"]
    for needs_a_person in ({"assignee": "me"}, {"unread": "true"}):
        refused = key_api.get("/api/v1/conversations/", needs_a_person)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "permission_denied"


def test_an_agent_restricted_to_their_own_conversations_sees_only_those(
    session_api, tenant_a, world, agent_a
):
    tenant_a.agents_see_all = False
    tenant_a.save(update_fields=["agents_see_all"])
    mine = ConversationFactory(tenant=tenant_a, channel=world["channel"], assignee=agent_a)
    theirs = ConversationFactory(tenant=tenant_a, channel=world["channel"], assignee=None)
    from tests.factories import UserFactory

    someone = UserFactory()
    hidden = ConversationFactory(tenant=tenant_a, channel=world["channel"], assignee=someone)
    api = session_api(agent_a)
    listed = {c["id"] for c in results(api.get("/api/v1/conversations/"))}
    assert mine.pk in listed and theirs.pk in listed and hidden.pk not in listed
    assert api.get(f"/api/v1/conversations/{hidden.pk}/").status_code == 404


def test_message_filters(key_api, world):
    conversation = world["conversation"]
    MessageFactory(conversation=conversation, kind="note", direction="out", author_kind="agent")
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    assert [m["kind"] for m in results(key_api.get(url, {"kind": "note"}))] == ["note"]
    assert len(results(key_api.get(url, {"direction": "in"}))) == 1
    assert key_api.get(url, {"kind": "bogus"}).status_code == 400


# --- Labels -----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_labels_for_every_role(role_api, role, world):
    api = role_api(role)
    assert [lab["name"] for lab in results(api.get("/api/v1/labels/"))] == ["VIP"]
    created = api.post("/api/v1/labels/", {"name": f"new-{role}"})
    changed = api.patch(f"/api/v1/labels/{world['label'].pk}/", {"color": "#ff0000"})
    expected = (201, 200) if role in LABEL_ROLES else (403, 403)
    assert (created.status_code, changed.status_code) == expected


# --- Another tenant ---------------------------------------------------------------------------
def test_another_tenant_gets_404_for_every_object(b_key_api, session_api, owner_b, world):
    c, conv, lab = world["contact"], world["conversation"], world["label"]
    paths = [
        f"/api/v1/channels/{world['channel'].pk}/",
        f"/api/v1/contacts/{c.pk}/",
        f"/api/v1/conversations/{conv.pk}/",
        f"/api/v1/conversations/{conv.pk}/messages/",
        f"/api/v1/labels/{lab.pk}/",
    ]
    for api in (b_key_api, session_api(owner_b, tenant=owner_b.memberships.get().tenant)):
        for path in paths:
            assert api.get(path).status_code == 404, path
        for action, data in [
            ("messages/", {"text": "x"}),
            ("assign/", {"assignee": None}),
            ("status/", {"status": "open"}),
            ("labels/", {"label": lab.pk}),
        ]:
            assert api.post(f"/api/v1/conversations/{conv.pk}/{action}", data).status_code == 404
        assert api.patch(f"/api/v1/contacts/{c.pk}/", {"name": "x"}).status_code == 404
        assert api.delete(f"/api/v1/conversations/{conv.pk}/labels/{lab.pk}/").status_code == 404
        assert not results(api.get("/api/v1/conversations/"))
        assert not results(api.get("/api/v1/contacts/"))
    assert not Message.objects.filter(text="x").exists()


def test_a_session_for_a_tenant_the_user_is_not_in_is_404(session_api, owner_b, tenant_a):
    api = session_api(owner_b, tenant=tenant_a)
    response = api.get("/api/v1/labels/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Query counts -----------------------------------------------------------------------------
def test_list_endpoints_do_not_grow_queries_with_rows(
    key_api, tenant_a, world, django_assert_max_num_queries
):
    for _ in range(15):
        contact = ContactFactory(tenant=tenant_a)
        ContactIdentityFactory(contact=contact, channel=world["channel"])
        conversation = ConversationFactory(
            tenant=tenant_a, channel=world["channel"], contact=contact
        )
        conversation.labels.add(world["label"])
        MessageFactory(conversation=world["conversation"])
    conv = world["conversation"].pk
    for path, limit in [
        ("/api/v1/contacts/", 8),
        ("/api/v1/conversations/", 8),
        (f"/api/v1/conversations/{conv}/messages/", 8),
        ("/api/v1/labels/", 6),
        ("/api/v1/channels/", 6),
    ]:
        with django_assert_max_num_queries(limit):
            assert key_api.get(path).status_code == 200


# --- Pagination -------------------------------------------------------------------------------
def _walk(api, path, **params):
    seen, url, pages = [], path, 0
    params = {"page_size": 3, **params}
    while url and pages < 50:
        response = api.get(url, params if url == path else None)
        body = response.json()
        seen.append([row["id"] for row in body["results"]])
        url = body["next"]
        pages += 1
        yield seen[-1]


def test_contact_pages_are_stable_under_concurrent_inserts(key_api, tenant_a):
    original = [ContactFactory(tenant=tenant_a).pk for _ in range(10)]
    collected = []
    for page in _walk(key_api, "/api/v1/contacts/"):
        collected += page
        ContactFactory(tenant=tenant_a)  # a CRM sync runs while contacts keep arriving
    assert len(collected) == len(set(collected))
    assert set(original) <= set(collected)


def test_conversation_pages_are_stable_under_concurrent_inserts(key_api, tenant_a, world):
    now = timezone.now()
    original = [
        ConversationFactory(
            tenant=tenant_a,
            channel=world["channel"],
            last_message_at=now - timedelta(minutes=i),
        ).pk
        for i in range(1, 11)
    ]
    collected = []
    for page in _walk(key_api, "/api/v1/conversations/"):
        collected += page
        ConversationFactory(tenant=tenant_a, channel=world["channel"])
    assert len(collected) == len(set(collected))
    assert set(original) <= set(collected)


def test_the_page_size_is_capped_and_the_cursor_is_opaque(key_api, tenant_a):
    for _ in range(3):
        ContactFactory(tenant=tenant_a)
    body = key_api.get("/api/v1/contacts/", {"page_size": 2}).json()
    assert len(body["results"]) == 2 and "cursor=" in body["next"]
    assert key_api.get("/api/v1/contacts/", {"cursor": "garbage"}).status_code == 404


def test_the_fast_serializers_say_exactly_what_their_declared_fields_say(tenant_a, agent_a):
    from rest_framework import serializers as drf

    from inbox.models import Attachment
    from inbox.serializers import ConversationSerializer, MessageSerializer

    conversation = ConversationFactory(
        tenant=tenant_a,
        assignee=agent_a,
        snoozed_until=timezone.now(),
        source="tiktok_ad",
        campaign_id="c-1",
    )
    conversation.labels.add(LabelFactory(tenant=tenant_a))
    message = MessageFactory(conversation=conversation, sent_at=timezone.now())
    Attachment.objects.create(
        tenant=tenant_a, message=message, kind="image", url="https://x.io/a.png", size=3
    )
    for serializer, obj in [(ConversationSerializer, conversation), (MessageSerializer, message)]:
        fast = serializer(obj).data
        generic = drf.ModelSerializer.to_representation(serializer(obj), obj)
        assert dict(fast) == dict(generic)
        assert list(fast) == serializer.Meta.fields
