import pytest

from tenants.services import api_key_create

from .conftest import drain, receive, whatsapp_conversation

pytestmark = pytest.mark.django_db


def test_signal_reports_are_listed_through_the_api(tenant_a, tenant_b, connect, client):
    connect(tenant_a)
    connect(tenant_b)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "I have paid")
    receive(whatsapp_conversation(tenant_b), "I have paid")
    drain(tenant_a)
    key = api_key_create(tenant=tenant_a, name="crm", read_only=True).raw_key
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    response = client.get("/api/v1/signal-reports/", {"status": "sent"}, **auth)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["conversation"], r["signal"], r["event_name"]) for r in results] == [
        (conversation.pk, "payment", "Purchase")
    ]
    assert (
        client.get("/api/v1/signal-reports/", {"status": "pending"}, **auth).json()["results"] == []
    )
    assert client.post(
        "/api/v1/signal-reports/", {}, content_type="application/json", **auth
    ).status_code in (403, 405)
