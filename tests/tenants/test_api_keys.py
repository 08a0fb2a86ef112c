import pytest

from tenants.models import ApiKey
from tenants.services import api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db


def _auth(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_key_is_stored_hashed_and_shown_once(tenant_a):
    created = api_key_create(tenant=tenant_a, name="crm", read_only=False)
    stored = ApiKey.objects.get(pk=created.api_key.pk)
    assert created.raw_key not in (stored.key_hash, stored.lookup)
    assert created.raw_key.startswith(f"pk_{stored.lookup}_")


def test_a_key_reads_its_own_tenants_data_and_records_its_use(client, tenant_a):
    created = api_key_create(tenant=tenant_a, name="crm", read_only=True)
    response = client.get("/api/v1/labels/", **_auth(created.raw_key))
    assert response.status_code == 200
    created.api_key.refresh_from_db()
    assert created.api_key.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Token abc", "Bearer pk_nope", "Bearer pk_000000000000_wrong"],
)
def test_missing_malformed_or_wrong_keys_are_401(client, tenant_a, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/labels/", **extra)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}


def test_a_revoked_key_is_401(client, tenant_a, owner_a):
    created = api_key_create(tenant=tenant_a, name="crm", read_only=False)
    api_key_revoke(api_key=created.api_key, actor=owner_a)
    assert client.get("/api/v1/labels/", **_auth(created.raw_key)).status_code == 401


def test_a_read_only_key_cannot_write(client, tenant_a):
    created = api_key_create(tenant=tenant_a, name="crm", read_only=True)
    response = client.post(
        "/api/v1/labels/",
        {"name": "VIP"},
        content_type="application/json",
        **_auth(created.raw_key),
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key is read-only."


def test_a_read_write_key_writes_into_its_own_tenant_only(client, tenant_a, tenant_b):
    created = api_key_create(tenant=tenant_a, name="crm", read_only=False)
    response = client.post(
        "/api/v1/labels/",
        {"name": "VIP", "tenant": tenant_b.pk},
        content_type="application/json",
        **_auth(created.raw_key),
    )
    assert response.status_code == 201
    from inbox.models import Label

    assert Label.objects.get(name="VIP").tenant == tenant_a


def test_a_validation_error_has_the_standard_shape(client, tenant_a):
    created = api_key_create(tenant=tenant_a, name="crm", read_only=False)
    response = client.post(
        "/api/v1/labels/", {}, content_type="application/json", **_auth(created.raw_key)
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and "name" in body["details"]


def test_viewer_session_reads_but_cannot_write_through_the_api(client_for, viewer_a, tenant_a):
    client = client_for(viewer_a)
    headers = {"HTTP_X_PARLEY_TENANT": tenant_a.slug}
    assert client.get("/api/v1/labels/", **headers).status_code == 200
    response = client.post(
        "/api/v1/labels/", {"name": "x"}, content_type="application/json", **headers
    )
    assert response.status_code == 403


def test_the_api_key_pages_are_for_owners_and_admins(
    client_for, tenant_a, admin_a, agent_a, viewer_a
):
    url = f"/t/{tenant_a.slug}/settings/api-keys/"
    assert client_for(admin_a).get(url).status_code == 200
    assert client_for(agent_a).get(url).status_code == 403
    assert client_for(viewer_a).get(url).status_code == 403


def test_creating_a_key_in_the_ui_shows_it_once(client_for, tenant_a, owner_a):
    client = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/settings/api-keys/"
    response = client.post(url, {"name": "CRM", "read_only": "on"})
    raw = response.context["created"].raw_key
    assert raw in response.content.decode()
    assert raw not in client.get(url).content.decode()
    assert ApiKey.objects.get(name="CRM").read_only
