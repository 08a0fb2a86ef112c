"""Outbound CRM webhooks against a real local receiver: signing, retries, disabling, the UI
and the API."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from inbox import effects
from inbox.outbound_webhooks import services
from inbox.outbound_webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tenants.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(tenant_a, receiver):
    return services.webhook_subscription_create(
        tenant=tenant_a,
        actor=None,
        url=receiver.url,
        event_types=["contact.created", "message.created"],
        secret="s3cret-for-tests-0123",
    )


def _emit(tenant, event_type="contact.created", data=None):
    effects.webhook_event(tenant=tenant, event_type=event_type, data=data or {"id": 7})
    return WebhookDelivery.objects.order_by("-id").first()


def test_an_event_makes_one_delivery_per_matching_active_subscription(tenant_a, subscription):
    services.webhook_subscription_create(
        tenant=tenant_a, actor=None, url="https://x.example.com/", event_types=["order.created"]
    )
    paused = services.webhook_subscription_create(
        tenant=tenant_a, actor=None, url="https://y.example.com/", event_types=["contact.created"]
    )
    services.webhook_subscription_update(subscription=paused, actor=None, is_active=False)
    _emit(tenant_a)
    assert list(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == [
        subscription.pk
    ]


def test_an_event_of_another_tenant_is_not_delivered(tenant_b, subscription):
    _emit(tenant_b)
    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_transaction_sends_nothing(tenant_a, subscription, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        _emit(tenant_a)
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_the_delivery_is_enqueued_on_commit_and_signed(
    tenant_a, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _emit(tenant_a, data={"id": 7, "name": "Zoë"})
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.last_status_code == 200
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["X-Parley-Delivery"] == str(delivery.delivery_id)
    assert headers["X-Parley-Event"] == "contact.created"
    assert services.webhook_verify(
        secret="s3cret-for-tests-0123", header=headers["X-Parley-Signature"], body=body
    )
    assert not services.webhook_verify(
        secret="another-secret-000000", header=headers["X-Parley-Signature"], body=body
    )
    payload = json.loads(body)
    assert payload["type"] == "contact.created"
    assert payload["data"] == {"id": 7, "name": "Zoë"}
    assert payload["tenant"] == tenant_a.slug


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    header = services.webhook_sign(secret="k", timestamp=1700000000, body=b'{"a":1}')
    expected = hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_a_failed_delivery_is_retried_with_backoff_and_the_same_delivery_id(
    tenant_a, subscription, receiver
):
    receiver.responses = [500, 503, 200]
    delivery = _emit(tenant_a)
    now = timezone.now()
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now) == "pending"
    delivery.refresh_from_db()
    first_wait = (delivery.next_attempt_at - now).total_seconds()
    assert 20 <= first_wait <= 40
    # Not due yet: nothing happens.
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now) is None
    now = delivery.next_attempt_at
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now) == "pending"
    delivery.refresh_from_db()
    assert (delivery.next_attempt_at - now).total_seconds() > first_wait
    now = delivery.next_attempt_at
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now) == "succeeded"
    ids = {r["headers"]["X-Parley-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.delivery_id)}
    codes = sorted(WebhookAttempt.objects.values_list("status_code", flat=True))
    assert codes == [200, 500, 503]
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.is_active


def test_retries_stop_after_24_hours(tenant_a, subscription, receiver):
    receiver.responses = [500]
    delivery = _emit(tenant_a)
    later = delivery.created_at + timedelta(hours=24, minutes=1)
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk, now=later) == "failed"


def test_a_slow_receiver_times_out_quickly(tenant_a, subscription, receiver, settings):
    settings.CRM_WEBHOOK_TIMEOUT = 0.3
    receiver.delay = 1.5
    delivery = _emit(tenant_a)
    import time

    started = time.monotonic()
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk) == "pending"
    assert time.monotonic() - started < 1.2
    delivery.refresh_from_db()
    assert delivery.last_error == "timed out"


def test_a_dead_receiver_is_a_failed_attempt(tenant_a, subscription, receiver):
    receiver.close()
    delivery = _emit(tenant_a)
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk) == "pending"
    assert WebhookAttempt.objects.get().status_code is None


def test_a_day_of_failures_disables_the_subscription_and_tells_the_admins(
    tenant_a, admin_a, subscription, receiver, client_for
):
    receiver.responses = [500]
    first = _emit(tenant_a)
    start = timezone.now()
    services.webhook_delivery_attempt(delivery_id=first.pk, now=start)
    subscription.refresh_from_db()
    assert subscription.failing_since == start and subscription.is_active
    second = _emit(tenant_a)
    WebhookDelivery.objects.filter(pk=second.pk).update(created_at=start + timedelta(hours=24))
    services.webhook_delivery_attempt(
        delivery_id=second.pk, now=start + timedelta(hours=24, minutes=5)
    )
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    assert AuditLog.objects.filter(tenant=tenant_a, action="webhook.disabled").exists()
    first.refresh_from_db()
    assert first.status == "failed"
    # No more deliveries are made for it.
    _emit(tenant_a)
    assert WebhookDelivery.objects.count() == 2
    for page in ("webhooks/", "members/", ""):
        response = client_for(admin_a).get(f"/t/{tenant_a.slug}/settings/{page}")
        assert b'data-testid="webhook-disabled-banner"' in response.content, page
    # Enabling it again starts afresh.
    services.webhook_subscription_update(subscription=subscription, actor=admin_a, is_active=True)
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.disabled_at is None


def test_a_success_resets_the_failure_clock(tenant_a, subscription, receiver):
    receiver.responses = [500, 200]
    now = timezone.now()
    services.webhook_delivery_attempt(delivery_id=_emit(tenant_a).pk, now=now)
    services.webhook_delivery_attempt(delivery_id=_emit(tenant_a).pk, now=now)
    subscription.refresh_from_db()
    assert subscription.failing_since is None


def test_private_addresses_are_refused_in_production(tenant_a, subscription, receiver, settings):
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    delivery = _emit(tenant_a)
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "private" in delivery.last_error


def test_the_sweeper_re_enqueues_due_and_abandoned_deliveries(tenant_a, subscription, receiver):
    due = _emit(tenant_a)
    stuck = _emit(tenant_a)
    WebhookDelivery.objects.filter(pk=stuck.pk).update(
        status="delivering", locked_until=timezone.now() - timedelta(minutes=1)
    )
    assert services.webhook_deliveries_sweep() == 2
    due.refresh_from_db()
    stuck.refresh_from_db()
    assert due.status == stuck.status == "succeeded"


def test_unknown_event_types_are_a_programming_error(tenant_a):
    with pytest.raises(ValueError):
        effects.webhook_event(tenant=tenant_a, event_type="nope", data={})


# --- UI -----------------------------------------------------------------------------------------
def test_the_webhook_pages_are_for_owners_and_admins(
    client_for, tenant_a, owner_a, admin_a, agent_a, viewer_a
):
    url = f"/t/{tenant_a.slug}/settings/webhooks/"
    settings_page = client_for(admin_a).get(f"/t/{tenant_a.slug}/settings/").content.decode()
    assert f'href="{url}"' in settings_page
    assert client_for(owner_a).get(url).status_code == 200
    assert client_for(admin_a).get(url).status_code == 200
    assert client_for(agent_a).get(url).status_code == 403
    assert client_for(viewer_a).get(url).status_code == 403


def test_creating_a_webhook_in_the_ui_shows_the_secret_once(client_for, tenant_a, admin_a):
    client = client_for(admin_a)
    url = f"/t/{tenant_a.slug}/settings/webhooks/"
    response = client.post(
        url, {"url": "https://crm.example.com/in", "event_types": ["order.created"]}
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get(tenant=tenant_a)
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in client.get(url).content.decode()
    assert subscription.secret not in subscription.secret_encrypted


def test_the_delivery_log_shows_response_codes(
    client_for, tenant_a, admin_a, subscription, receiver
):
    receiver.responses = [502]
    services.webhook_delivery_attempt(delivery_id=_emit(tenant_a).pk)
    page = client_for(admin_a).get(f"/t/{tenant_a.slug}/settings/webhooks/{subscription.pk}/")
    assert page.status_code == 200
    assert b"HTTP 502" in page.content


def test_pause_rotate_redeliver_and_delete_in_the_ui(
    client_for, tenant_a, admin_a, subscription, receiver
):
    client = client_for(admin_a)
    base = f"/t/{tenant_a.slug}/settings/webhooks/{subscription.pk}/"
    client.post(base + "toggle/")
    subscription.refresh_from_db()
    assert not subscription.is_active
    old = subscription.secret
    response = client.post(base + "rotate-secret/")
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret in response.content.decode()
    client.post(base + "toggle/")
    receiver.responses = [500]
    delivery = _emit(tenant_a)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    receiver.responses = [200]
    client.post(f"/t/{tenant_a.slug}/settings/webhooks/deliveries/{delivery.pk}/redeliver/")
    delivery.refresh_from_db()
    assert delivery.status in ("pending", "succeeded")
    client.post(base + "delete/")
    assert not WebhookSubscription.objects.exists()


# --- API ----------------------------------------------------------------------------------------
def test_a_key_creates_a_subscription_and_sees_the_secret_once(key_api, tenant_a):
    response = key_api.post(
        "/api/v1/webhook-subscriptions/",
        {"url": "https://crm.example.com/h", "event_types": ["order.created", "contact.created"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    listed = key_api.get("/api/v1/webhook-subscriptions/").json()["results"]
    assert listed[0]["id"] == body["id"] and "secret" not in listed[0]
    assert "secret" not in key_api.get(f"/api/v1/webhook-subscriptions/{body['id']}/").json()


def test_the_api_validates_event_types_and_urls(key_api):
    bad = key_api.post(
        "/api/v1/webhook-subscriptions/", {"url": "ftp://x.example", "event_types": ["nope"]}
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]) == {"url", "event_types"}


def test_the_api_updates_rotates_lists_deliveries_and_deletes(key_api, tenant_a, subscription):
    base = f"/api/v1/webhook-subscriptions/{subscription.pk}/"
    response = key_api.patch(base, {"event_types": ["order.created"], "is_active": False})
    assert response.status_code == 200
    assert response.json()["event_types"] == ["order.created"]
    assert response.json()["is_active"] is False
    rotated = key_api.post(base + "rotate-secret/")
    assert rotated.status_code == 200
    subscription.refresh_from_db()
    assert rotated.json()["secret"] == subscription.secret
    _emit(tenant_a, "order.created")
    key_api.patch(base, {"is_active": True})
    _emit(tenant_a, "order.created")
    deliveries = key_api.get(base + "deliveries/").json()
    assert [d["event_type"] for d in deliveries] == ["order.created"]
    assert key_api.delete(base).status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("owner", 200, 201),
        ("admin", 200, 201),
        ("agent", 403, 403),
        ("viewer", 403, 403),
        ("key", 200, 201),
        ("ro_key", 200, 403),
    ],
)
def test_subscription_api_permissions_by_role(role_api, role, read, write):
    api = role_api(role)
    assert api.get("/api/v1/webhook-subscriptions/").status_code == read
    response = api.post(
        "/api/v1/webhook-subscriptions/",
        {"url": "https://crm.example.com/h", "event_types": ["order.created"]},
    )
    assert response.status_code == write


def test_another_tenants_subscription_is_404(b_key_api, subscription):
    base = f"/api/v1/webhook-subscriptions/{subscription.pk}/"
    assert b_key_api.get(base).status_code == 404
    assert b_key_api.patch(base, {"is_active": False}).status_code == 404
    assert b_key_api.post(base + "rotate-secret/").status_code == 404
    assert b_key_api.delete(base).status_code == 404


@pytest.mark.parametrize("role", ["owner", "admin", "agent", "viewer", "key", "ro_key"])
def test_every_subscription_endpoint_by_role(role_api, role, subscription):
    api = role_api(role)
    base = f"/api/v1/webhook-subscriptions/{subscription.pk}/"
    manager = role in ("owner", "admin", "key")
    reads = [api.get(base), api.get(base + "deliveries/")]
    writes = [
        api.patch(base, {"description": "x"}),
        api.put(base, {"url": "https://crm.example.com/h", "event_types": ["order.created"]}),
        api.post(base + "rotate-secret/"),
    ]
    assert [r.status_code for r in reads] == (
        [200, 200] if role != "agent" and role != "viewer" else [403, 403]
    )
    if manager:
        assert [w.status_code for w in writes] == [200, 200, 200]
        assert api.delete(base).status_code == 204
    else:
        assert {w.status_code for w in writes} == {403}
        assert api.delete(base).status_code == 403
