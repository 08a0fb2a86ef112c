import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from inbox.models import Label
from tenants.idempotency import idempotency_sweep
from tenants.models import IdempotencyKey
from tenants.services import api_key_create

pytestmark = pytest.mark.django_db


def _key(value):
    return {"headers": {"HTTP_IDEMPOTENCY_KEY": value}}


def test_the_same_key_and_body_returns_the_first_answer_without_a_duplicate(key_api, tenant_a):
    first = key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("k-1"))
    second = key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("k-1"))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Label.objects.for_tenant(tenant_a).count() == 1


def test_key_order_and_spacing_of_the_json_body_do_not_matter(key_api):
    key_api.post("/api/v1/labels/", {"name": "VIP", "color": "#ff0000"}, **_key("k-2"))
    again = key_api.client.post(
        "/api/v1/labels/",
        '{ "color": "#ff0000",  "name": "VIP" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
        **key_api.headers,
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_a_409(key_api, tenant_a):
    key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("k-3"))
    response = key_api.post("/api/v1/labels/", {"name": "Other"}, **_key("k-3"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Label.objects.for_tenant(tenant_a).count() == 1


def test_an_error_answer_is_replayed_too(key_api, tenant_a):
    first = key_api.post("/api/v1/labels/", {}, **_key("k-4"))
    second = key_api.post("/api/v1/labels/", {}, **_key("k-4"))
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()


def test_keys_are_scoped_per_api_key_and_per_tenant(key_api, b_key_api, tenant_a, tenant_b):
    other_raw = api_key_create(tenant=tenant_a, name="second", read_only=False).raw_key
    key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("same"))
    response = Client().post(
        "/api/v1/labels/",
        {"name": "VIP2"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other_raw}",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert response.status_code == 201
    assert b_key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("same")).status_code == 201
    assert Label.objects.for_tenant(tenant_a).count() == 2
    assert Label.objects.for_tenant(tenant_b).count() == 1


def test_a_session_user_has_idempotency_too(session_api, admin_a, tenant_a):
    api = session_api(admin_a)
    api.post("/api/v1/labels/", {"name": "VIP"}, **_key("s-1"))
    again = api.post("/api/v1/labels/", {"name": "VIP"}, **_key("s-1"))
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"


def test_a_too_long_key_is_refused(key_api):
    response = key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("x" * 300))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


def test_keys_expire_after_24_hours(key_api, tenant_a):
    key_api.post("/api/v1/labels/", {"name": "VIP"}, **_key("old"))
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = key_api.post("/api/v1/labels/", {"name": "Other"}, **_key("old"))
    assert response.status_code == 201
    assert Label.objects.for_tenant(tenant_a).count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_sweep() == 1
    assert not IdempotencyKey.objects.exists()


def test_without_the_header_nothing_is_stored(key_api):
    key_api.post("/api/v1/labels/", {"name": "VIP"})
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_object(tenant_a):
    raw = api_key_create(tenant=tenant_a, name="crm", read_only=False).raw_key
    barrier = threading.Barrier(4)
    answers = []

    def post():
        try:
            barrier.wait(timeout=5)
            response = Client().post(
                "/api/v1/labels/",
                {"name": "Race"},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {raw}",
                HTTP_IDEMPOTENCY_KEY="race",
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(answers) == 4
    assert {status for status, _ in answers} == {201}
    assert len({body["id"] for _, body in answers}) == 1
    assert Label.objects.filter(tenant=tenant_a, name="Race").count() == 1
