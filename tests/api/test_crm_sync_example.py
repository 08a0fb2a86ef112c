"""docs/examples/crm_sync.py against a live Parley server (a real HTTP server in a thread)."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from tenants.services import api_key_create
from tests.factories import ContactFactory, TenantFactory

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "crm_sync.py"


def _orders_endpoint() -> bool:
    from django.urls import Resolver404, resolve

    try:
        return resolve("/api/v1/orders/").url_name != "api_not_found"
    except Resolver404:
        return False


@pytest.mark.django_db(transaction=True)
def test_the_sync_script_writes_every_contact_and_order_to_csv(live_server, tenant_a, tmp_path):
    raw = api_key_create(tenant=tenant_a, name="sync", read_only=True).raw_key
    contacts = [ContactFactory(tenant=tenant_a, name=f"Person {i:02}") for i in range(7)]
    names = sorted(c.name for c in contacts)
    ContactFactory(tenant=TenantFactory(), name="Other")
    resources = "contacts,orders" if _orders_endpoint() else "contacts"
    orders = []
    if "orders" in resources:
        from tests.commerce.factories import make_order

        orders = [make_order(tenant=tenant_a, contact=contacts[i]) for i in range(4)]
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--base-url",
            live_server.url,
            "--api-key",
            raw,
            "--out-dir",
            str(tmp_path),
            "--page-size",
            "3",
            "--resources",
            resources,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "contacts.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["name"] for r in rows) == names
    assert {"id", "email", "phone", "identities", "created_at"} <= set(rows[0])
    if "orders" in resources:
        with open(tmp_path / "orders.csv", encoding="utf-8") as handle:
            order_rows = list(csv.DictReader(handle))
        assert sorted(int(r["id"]) for r in order_rows) == sorted(o.pk for o in orders)


def test_a_bad_key_fails_with_the_api_error(live_server, db, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--base-url",
            live_server.url,
            "--api-key",
            "pk_nope",
            "--out-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "401" in result.stderr
