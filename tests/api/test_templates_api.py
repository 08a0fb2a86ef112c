"""Message templates through the API: the synced list, and sending one in a conversation whose
reply window is closed (the rendered text stored; refusals are 422 in plain words)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Conversation, Message, MessageTemplate
from tests.api.conftest import results
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
)

pytestmark = pytest.mark.django_db

BODY = [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}]


@pytest.fixture
def world(tenant_a, tenant_b):
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp", waba_id="1022")
    contact = ContactFactory(tenant=tenant_a, name="Ana Souza")
    ContactIdentityFactory(contact=contact, channel=channel, external_id="5511999")
    conversation = ConversationFactory(tenant=tenant_a, channel=channel, contact=contact)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=2)
    )
    shipped = MessageTemplate.objects.create(
        tenant=tenant_a,
        channel=channel,
        name="shipped",
        language="en_US",
        status="approved",
        components=BODY,
        variable_map={"body.1": "contact.first_name"},
    )
    paused = MessageTemplate.objects.create(
        tenant=tenant_a,
        channel=channel,
        name="sale",
        language="en_US",
        status="paused",
        components=[{"type": "BODY", "text": "Sale!"}],
    )
    other_channel = ChannelFactory(tenant=tenant_b, provider="whatsapp")
    foreign = MessageTemplate.objects.create(
        tenant=tenant_b,
        channel=other_channel,
        name="theirs",
        language="en_US",
        status="approved",
        components=BODY,
    )
    return {"conversation": conversation, "shipped": shipped, "paused": paused, "foreign": foreign}


def test_templates_are_listed_with_their_variables(key_api, world):
    body = results(key_api.get("/api/v1/message-templates/"))
    assert [t["name"] for t in body] == ["sale", "shipped"]
    shipped = key_api.get(f"/api/v1/message-templates/{world['shipped'].pk}/").json()
    assert shipped["variables"] == ["body.1", "body.2"] and shipped["status"] == "approved"
    assert key_api.get(f"/api/v1/message-templates/{world['foreign'].pk}/").status_code == 404


def test_a_template_is_sent_when_the_window_is_closed_with_prefilled_variables(key_api, world):
    conversation = world["conversation"]
    response = key_api.post(
        f"/api/v1/conversations/{conversation.pk}/template/",
        {"template": world["shipped"].pk, "variables": {"body.2": "#88"}},
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Hi Ana, your order #88 has shipped."
    message = Message.objects.get(pk=response.json()["id"])
    assert message.metadata["template"]["values"] == {"BODY": [["1", "Ana"], ["2", "#88"]]}


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"parameters": ["Ana"]}, "needs 2 variable(s), but 1 were given"),
        ({"variables": {"body.1": "Ana"}}, "Fill in the variable {{2}} (body)"),
        ({"variables": {"body.9": "x", "body.2": "#1"}}, "has no variable body.9"),
    ],
)
def test_a_wrong_number_of_variables_is_a_422_in_plain_words(key_api, world, payload, words):
    response = key_api.post(
        f"/api/v1/conversations/{world['conversation'].pk}/template/",
        {"template": world["shipped"].pk, **payload},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "template_rejected"
    assert words in response.json()["error"]["message"]
    assert not Message.objects.filter(direction="out").exists()


def test_a_paused_or_foreign_template_is_refused(key_api, world):
    url = f"/api/v1/conversations/{world['conversation'].pk}/template/"
    paused = key_api.post(url, {"template": world["paused"].pk})
    assert paused.status_code == 422 and "paused" in paused.json()["error"]["message"]
    foreign = key_api.post(url, {"template": world["foreign"].pk, "parameters": ["a", "b"]})
    assert foreign.status_code == 422
    assert foreign.json()["error"]["details"] == {"template": "No such template."}
    assert not Message.objects.filter(direction="out").exists()


def test_a_read_only_key_cannot_send_a_template(ro_key_api, world):
    response = ro_key_api.post(
        f"/api/v1/conversations/{world['conversation'].pk}/template/",
        {"template": world["shipped"].pk, "parameters": ["a", "b"]},
    )
    assert response.status_code == 403
