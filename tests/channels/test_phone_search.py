"""A WhatsApp customer is found by the number they wrote from, however it is typed: the contact
created by the signed webhook carries the number in E.164 form, and the inbox and the API find
the conversation by it."""

import importlib
import json
import time

import pytest
from django.db import connection
from django.test import Client

from inbox.models import Contact, Conversation
from inbox.services.contacts import contact_update
from tenants.services import api_key_create
from tests.factories import ChannelFactory, ContactFactory, ContactIdentityFactory
from tests.providers.helpers import load_recent

pytestmark = pytest.mark.django_db

WA_ID = "84912345678"
TYPED = [
    "+84 91 234 5678",
    "+84912345678",
    "0912345678",
    "091 234 5678",
    "0912-345-678",
    "84912345678",
    "84 912 345 678",
    "912345678",
]


def whatsapp_message(wa_id: str, text: str = "Chào shop, áo này còn không?") -> bytes:
    event = load_recent("whatsapp", "message_text", now=time.time())
    value = event["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    value["contacts"][0]["profile"]["name"] = "Trần Thị Bích"
    message = value["messages"][0]
    message["from"] = wa_id
    message["id"] = f"wamid.{wa_id}.{abs(hash(text)) % 10**8}"
    message["text"]["body"] = text
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture
def vietnam(tenant_a):
    tenant_a.country = "VN"
    tenant_a.save(update_fields=["country"])
    return tenant_a


@pytest.fixture
def api(tenant_a):
    raw = api_key_create(tenant=tenant_a, name="crm", read_only=True).raw_key
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _ids(response, key="id"):
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


def test_a_new_whatsapp_number_is_the_contacts_phone_and_finds_the_conversation(
    vietnam, whatsapp_channel, post_webhook, owner_a, client_for, api
):
    assert post_webhook("whatsapp", whatsapp_message(WA_ID)).status_code == 200
    conversation = Conversation.objects.for_tenant(vietnam).select_related("contact").get()
    assert conversation.contact.phone == "+84912345678"

    other = ContactFactory(tenant=vietnam, name="Somebody else", phone="+84 98 765 4321")
    other_conversation = Conversation.objects.create(
        tenant=vietnam, channel=whatsapp_channel, contact=other
    )
    browser = client_for(owner_a)
    for typed in TYPED:
        listed = browser.get(f"/t/{vietnam.slug}/inbox/list/", {"q": typed, "status": "all"})
        assert f'data-id="{conversation.pk}"' in listed.content.decode(), typed
        assert f'data-id="{other_conversation.pk}"' not in listed.content.decode()
        hits = browser.get(f"/t/{vietnam.slug}/inbox/search/", {"q": typed}).content.decode()
        assert "+84912345678" in hits and "+84 98 765 4321" not in hits, typed
        found = _ids(api.get("/api/v1/conversations/", {"q": typed, "status": "all"}))
        assert found == [conversation.pk], typed
        assert _ids(api.get("/api/v1/contacts/", {"q": typed})) == [conversation.contact_id]

    for near_miss in ("0912345679", "+66 91 234 5678", "091 234 5677"):
        assert _ids(api.get("/api/v1/conversations/", {"q": near_miss, "status": "all"})) == []


def test_a_phone_an_agent_typed_is_never_overwritten(
    vietnam, whatsapp_channel, post_webhook, owner_a, api
):
    post_webhook("whatsapp", whatsapp_message(WA_ID, "first"))
    contact = Contact.objects.for_tenant(vietnam).get()
    contact_update(contact=contact, actor=owner_a, phone="0987 654 321")
    post_webhook("whatsapp", whatsapp_message(WA_ID, "second"))
    contact.refresh_from_db()
    assert contact.phone == "0987 654 321"
    assert Conversation.objects.for_tenant(vietnam).get().messages.count() == 2
    # Still found by the WhatsApp number (its channel identity) and by the typed one.
    for typed in ("+84 91 234 5678", "0912345678", "+84 987 654 321"):
        assert _ids(api.get("/api/v1/contacts/", {"q": typed})) == [contact.pk], typed


def test_another_business_with_the_same_customer_does_not_see_it(
    vietnam, tenant_b, whatsapp_channel, post_webhook, api
):
    theirs = ContactFactory(tenant=tenant_b, name="Their copy", phone="+84912345678")
    ContactIdentityFactory(
        tenant=tenant_b,
        contact=theirs,
        channel=ChannelFactory(tenant=tenant_b, provider="whatsapp"),
        external_id=WA_ID,
    )
    assert _ids(api.get("/api/v1/contacts/", {"q": "0912345678"})) == []
    post_webhook("whatsapp", whatsapp_message(WA_ID))
    mine = Contact.objects.for_tenant(vietnam).get()
    assert _ids(api.get("/api/v1/contacts/", {"q": "0912345678"})) == [mine.pk]


def test_without_a_country_a_national_number_is_matched_as_typed(
    tenant_a, whatsapp_channel, post_webhook, api
):
    post_webhook("whatsapp", whatsapp_message(WA_ID))
    contact = Contact.objects.for_tenant(tenant_a).get()
    assert _ids(api.get("/api/v1/contacts/", {"q": "+84 91 234 5678"})) == [contact.pk]
    assert _ids(api.get("/api/v1/contacts/", {"q": "912 345 678"})) == [contact.pk]
    assert _ids(api.get("/api/v1/contacts/", {"q": "0912345678"})) == []  # 0… of which country?


def test_existing_whatsapp_contacts_get_their_number_without_touching_typed_ones(tenant_a):
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp")
    empty = ContactFactory(tenant=tenant_a, phone="")
    typed = ContactFactory(tenant=tenant_a, phone="0987 654 321")
    tiktok = ContactFactory(tenant=tenant_a, phone="")
    ContactIdentityFactory(tenant=tenant_a, contact=empty, channel=channel, external_id=WA_ID)
    ContactIdentityFactory(
        tenant=tenant_a, contact=typed, channel=channel, external_id="84900000001"
    )
    ContactIdentityFactory(
        tenant=tenant_a,
        contact=tiktok,
        channel=ChannelFactory(tenant=tenant_a, provider="tiktok"),
        external_id="-000cUsTmr7Lina00042",
    )
    migration = importlib.import_module("inbox.migrations.0008_contact_phone_search")
    with connection.cursor() as cursor:
        cursor.execute(migration.WHATSAPP_PHONES)
    phones = dict(Contact.objects.filter(tenant=tenant_a).values_list("pk", "phone"))
    assert phones == {empty.pk: "+84912345678", typed.pk: "0987 654 321", tiktok.pk: ""}
