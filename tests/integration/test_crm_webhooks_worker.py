"""CRM webhooks with a real Celery worker on the real Redis: the API request that causes an
event returns at once although the CRM's receiver is slow; the worker delivers it, signed."""

import time

import pytest

from inbox.outbound_webhooks.models import WebhookDelivery
from inbox.outbound_webhooks.services import webhook_subscription_create, webhook_verify
from tenants.services import api_key_create
from tests.api.conftest import Receiver
from tests.integration.waiting import wait_for


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_never_slows_the_api_and_still_gets_the_event(
    celery_worker_process, tenant_a, client
):
    receiver = Receiver()
    receiver.delay = 4.0  # far slower than a request may take, under the 5 s timeout
    try:
        webhook_subscription_create(
            tenant=tenant_a,
            actor=None,
            url=receiver.url,
            event_types=["contact.created"],
            secret="integration-secret-0123",
        )
        raw = api_key_create(tenant=tenant_a, name="crm", read_only=False).raw_key
        started = time.monotonic()
        response = client.post(
            "/api/v1/contacts/",
            {"name": "Slow Receiver"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 201
        assert elapsed < 2.5, f"the request waited for the receiver ({elapsed:.2f}s)"
        delivery = wait_for(
            lambda: WebhookDelivery.objects.filter(status="succeeded").first(), seconds=40
        )
        [request] = receiver.requests
        assert request["headers"]["X-Parley-Delivery"] == str(delivery.delivery_id)
        assert webhook_verify(
            secret="integration-secret-0123",
            header=request["headers"]["X-Parley-Signature"],
            body=request["body"],
        )
    finally:
        receiver.close()
