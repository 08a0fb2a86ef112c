"""The shared fixture world: tenant A with an owner, an admin, an agent and a viewer; tenant B
with its owner. Every endpoint is tried from B against A's objects and from A's viewer."""

import pytest
from django.test import Client

from tests.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture(autouse=True)
def _eager_celery_and_memory_layer(request, settings):
    """Unit tests run Celery tasks eagerly and use the in-memory channel layer and cache;
    tests marked `integration` get the real Redis and a real worker instead."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    from django.core.cache import cache

    from inbox.ingest.intake import channel_secret_forget

    cache.clear()
    channel_secret_forget()  # each test's channels are its own
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def tenant_a(db):
    return TenantFactory(name="Tenant A", slug="tenant-a")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(name="Tenant B", slug="tenant-b")


def _member(tenant, role, email):
    return MembershipFactory(tenant=tenant, role=role, user=UserFactory(email=email)).user


@pytest.fixture
def owner_a(tenant_a):
    return _member(tenant_a, "owner", "owner-a@example.com")


@pytest.fixture
def admin_a(tenant_a):
    return _member(tenant_a, "admin", "admin-a@example.com")


@pytest.fixture
def agent_a(tenant_a):
    return _member(tenant_a, "agent", "agent-a@example.com")


@pytest.fixture
def viewer_a(tenant_a):
    return _member(tenant_a, "viewer", "viewer-a@example.com")


@pytest.fixture
def owner_b(tenant_b):
    return _member(tenant_b, "owner", "owner-b@example.com")


@pytest.fixture
def client_for(db):
    """A signed-in test client for a user: client_for(agent_a)."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


class WebhookEvents:
    """The outbound webhook events written for a tenant subscribed to every event type, as
    `(tenant_id, event_type, data)` in the order they were written (read from the outbox)."""

    def __init__(self, tenant):
        from inbox.outbound_webhooks.models import EVENT_TYPES
        from inbox.outbound_webhooks.services import webhook_subscription_create

        self.subscription = webhook_subscription_create(
            tenant=tenant, actor=None, url="https://crm.invalid/hook", event_types=EVENT_TYPES
        )

    def _rows(self):
        from inbox.outbound_webhooks.models import WebhookDelivery

        return [
            (d.tenant_id, d.event_type, d.payload["data"])
            for d in WebhookDelivery.objects.filter(subscription=self.subscription).order_by("id")
        ]

    def __iter__(self):
        return iter(self._rows())

    def __getitem__(self, index):
        return self._rows()[index]

    def __len__(self):
        return len(self._rows())

    def types(self) -> list[str]:
        return [event_type for _tenant, event_type, _data in self._rows()]


@pytest.fixture
def webhook_events(tenant_a):
    """Tenant A subscribed to every outbound webhook event; what was written for it."""
    return WebhookEvents(tenant_a)
