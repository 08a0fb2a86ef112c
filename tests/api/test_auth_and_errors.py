"""Authentication, throttling and the error shape across the API."""

import pytest

from tenants.api_auth import ApiKeyRateThrottle

pytestmark = pytest.mark.django_db

LIST_PATHS = [
    "/api/v1/contacts/",
    "/api/v1/conversations/",
    "/api/v1/labels/",
    "/api/v1/channels/",
    "/api/v1/webhook-subscriptions/",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_every_endpoint_needs_authentication(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_key_is_throttled_with_429_and_retry_after(key_api, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "3/min", raising=False)
    codes = [key_api.get("/api/v1/labels/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = key_api.get("/api/v1/labels/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"


def test_throttling_counts_each_key_separately(key_api, ro_key_api, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "2/min", raising=False)
    for _ in range(2):
        key_api.get("/api/v1/labels/")
    assert key_api.get("/api/v1/labels/").status_code == 429
    assert ro_key_api.get("/api/v1/labels/").status_code == 200


def test_unknown_ids_are_404_in_the_standard_shape(key_api):
    for path in ("/api/v1/contacts/999999/", "/api/v1/contacts/99999999999999999999/"):
        response = key_api.get(path)
        assert response.status_code == 404
    assert key_api.get("/api/v1/contacts/999999/").json()["error"]["code"] == "not_found"


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    paths = body["paths"]
    for path in [
        "/api/v1/contacts/",
        "/api/v1/conversations/{id}/messages/",
        "/api/v1/conversations/{id}/assign/",
        "/api/v1/conversations/{id}/labels/{label_id}/",
        "/api/v1/webhook-subscriptions/{id}/rotate-secret/",
        "/api/v1/channels/",
    ]:
        assert path in paths, path
    send = paths["/api/v1/conversations/{id}/messages/"]["post"]
    assert "422" in send["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in send["parameters"])
    assert body["components"]["schemas"]["Error"]["required"] == ["error"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr.net" not in docs.content  # assets served locally (sidecar), offline-safe


def test_an_unknown_api_path_is_a_json_404(key_api):
    response = key_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
