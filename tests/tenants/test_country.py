"""A business's country: how its people write a phone number without a country code."""

import importlib

import pytest
from django.apps import apps

from inbox.phone_numbers import search_digits
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "timezone_name,country",
    [
        ("Asia/Ho_Chi_Minh", "VN"),
        ("Asia/Bangkok", "TH"),
        ("Asia/Jakarta", "ID"),
        ("Asia/Kuala_Lumpur", "MY"),
        ("Europe/Prague", "CZ"),
        ("Asia/Tokyo", "JP"),
        ("UTC", ""),
    ],
)
def test_a_new_business_gets_the_country_of_its_timezone(timezone_name, country):
    tenant = tenant_create(name="Shop", owner=UserFactory(), timezone_name=timezone_name)
    assert tenant.country == country


def test_existing_businesses_get_the_country_of_their_timezone_unless_they_have_one():
    prague = TenantFactory(timezone="Europe/Prague")
    chosen = TenantFactory(timezone="Asia/Tokyo", country="VN")
    nowhere = TenantFactory(timezone="UTC")
    migration = importlib.import_module("tenants.migrations.0004_tenant_country")
    migration.country_from_timezone(apps, None)
    countries = dict(Tenant.objects.values_list("pk", "country"))
    assert [countries[t.pk] for t in (prague, chosen, nowhere)] == ["CZ", "VN", ""]


def test_the_owner_chooses_the_country_in_the_settings(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    page = client.get(f"/t/{tenant_a.slug}/settings/").content.decode()
    assert 'name="country"' in page and "Việt Nam (+84)" in page
    response = client.post(
        f"/t/{tenant_a.slug}/settings/",
        {
            "name": tenant_a.name,
            "timezone": "Asia/Bangkok",
            "default_language": "th",
            "country": "TH",
            "agents_see_all": "on",
        },
    )
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.country == "TH"
    assert search_digits("081 234 5678", tenant_a.country) == ("66812345678", "0812345678")
