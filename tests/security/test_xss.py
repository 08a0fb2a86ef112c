"""Stored XSS, server side: every text field of every tenant-owned object (customer text,
contact names, labels, rule names, … and whatever models are added later) is filled with
script-injection payloads, then every tenant page is rendered and must show them escaped.

The real-browser check (nothing executes) lives in tests/e2e once the Playwright fixtures
are on main.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast, Concat

from tests import factories

from .walk import fill, tenant_routes

SCRIPT = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
SHORT = "<img src=x onerror=alert(1)>"
JS_URL = "javascript:window.__xss=3"
RAW_MARKERS = ("<script>window.__xss", "<img src=x onerror", '<img src="x" onerror')
JS_ATTR = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
SKIP_FIELDS = re.compile(
    r"(slug|email|token|lookup|hash|account_id|external_id|_id$|key|"
    r"provider|status|kind|direction|role|timezone|language|currency|"
    r"mime|password|secret|credentials|code$)",
    re.I,
)


def poison_tenant(tenant) -> dict[str, list[str]]:
    """Write the payloads into every free-text field of every row the tenant owns."""
    poisoned: dict[str, list[str]] = {}
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        if model._meta.label == "tenants.Tenant":
            qs = model.objects.filter(pk=tenant.pk)
        elif "tenant" in field_names:
            qs = model._default_manager.filter(tenant=tenant)
        else:
            continue
        updates = {}
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if field.choices or field.unique or SKIP_FIELDS.search(field.name):
                continue
            if isinstance(field, models.URLField):
                value = JS_URL
            elif field.max_length is None or field.max_length >= len(SCRIPT) + 12:
                value = SCRIPT
            elif field.max_length >= len(SHORT) + 12:
                value = SHORT
            else:
                continue
            # a per-row suffix keeps (case-insensitive) unique names unique
            updates[field.name] = Concat(Value(value + " #"), Cast("pk", models.CharField()))
        if updates and qs.exists():
            qs.update(**updates)
            poisoned[model._meta.label] = sorted(updates)
    return poisoned


@pytest.fixture
def poisoned_world(tenant_a, owner_a, agent_a):
    conversation = factories.ConversationFactory(tenant=tenant_a)
    label = factories.LabelFactory(tenant=tenant_a)
    conversation.labels.add(label)
    factories.MessageFactory(conversation=conversation)
    factories.MessageFactory(
        conversation=conversation, kind="note", direction="out", author_kind="agent"
    )
    factories.ContactIdentityFactory(contact=conversation.contact, channel=conversation.channel)
    cache: dict = {}
    paths = [fill(route, tenant_a, cache) for route in tenant_routes()]
    poisoned = poison_tenant(tenant_a)
    tenant_a.refresh_from_db()
    return paths, poisoned


def assert_escaped(html: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{where}: unescaped {marker!r}"
    assert not JS_ATTR.search(html), f"{where}: javascript: URL in an attribute"


@pytest.mark.django_db
def test_hostile_text_is_escaped_on_every_tenant_page(
    client_for, tenant_a, owner_a, poisoned_world
):
    paths, poisoned = poisoned_world
    # the payloads really are in the database, in the fields that matter
    assert "inbox.Contact" in poisoned and "name" in poisoned["inbox.Contact"]
    assert "inbox.Message" in poisoned and "text" in poisoned["inbox.Message"]
    assert "inbox.Label" in poisoned and "name" in poisoned["inbox.Label"]
    client = client_for(owner_a)
    rendered_with_payload = 0
    for path in ["/", *paths]:
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(path, **extra)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            assert_escaped(html, f"GET {path} {extra}")
            rendered_with_payload += "&lt;script&gt;window.__xss" in html or (
                "&lt;img src=x onerror" in html
            )
    # the walk is worth something only if pages actually showed the (escaped) payloads
    assert rendered_with_payload >= 1


@pytest.mark.django_db
def test_hostile_text_is_escaped_for_an_agent_too(client_for, tenant_a, agent_a, poisoned_world):
    paths, _ = poisoned_world
    client = client_for(agent_a)
    for path in ["/", *paths]:
        response = client.get(path)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            assert_escaped(response.content.decode(), f"GET {path}")
