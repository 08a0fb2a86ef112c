"""The shipped comment rules come with every business — created with it, and by a data
migration for the businesses created before — off until enabled, never twice."""

import importlib

import pytest
from django.apps import apps

from inbox.automation.models import CommentRule
from tenants.services import tenant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "inbox.automation.migrations.0007_comment_rule_defaults_for_every_tenant"
)


def test_a_new_business_has_the_shipped_comment_rules_off_before_any_visit():
    tenant = tenant_create(name="Shop Lan", owner=UserFactory(), default_language="vi")
    rules = {r.default_key: r for r in CommentRule.objects.filter(tenant=tenant)}
    assert sorted(rules) == ["hide_phone", "price_private"]
    assert not any(r.enabled for r in rules.values())
    assert rules["hide_phone"].has_phone and rules["hide_phone"].hide
    assert "giá" in rules["price_private"].keywords.split("\n")
    # the private reply is written in the business's language
    assert rules["price_private"].private_reply_text.startswith("Xin chào")


def test_the_migration_gives_them_to_earlier_businesses_once_and_keeps_edits(tenant_a, tenant_b):
    assert not CommentRule.objects.filter(tenant__in=[tenant_a, tenant_b]).exists()
    migration.install(apps, None)
    assert CommentRule.objects.filter(tenant=tenant_a).count() == 2
    assert CommentRule.objects.filter(tenant=tenant_b).count() == 2
    edited = CommentRule.objects.get(tenant=tenant_a, default_key="hide_phone")
    edited.enabled, edited.name = True, "Ẩn số điện thoại"
    edited.save()
    migration.install(apps, None)  # run again: nothing added, nothing reset
    assert CommentRule.objects.filter(tenant=tenant_a).count() == 2
    edited.refresh_from_db()
    assert edited.enabled and edited.name == "Ẩn số điện thoại"
    assert not CommentRule.objects.get(tenant=tenant_b, default_key="hide_phone").enabled


def test_the_rules_page_lists_them_without_creating_them(tenant_a, admin_a, client_for):
    page = client_for(admin_a).get("/t/tenant-a/automation/comments/")
    assert page.status_code == 200
    assert not CommentRule.objects.filter(tenant=tenant_a).exists()
