"""CSRF on every state-changing page, found by walking the URL patterns (pages added later are
covered automatically): a POST without a token is 403 and changes nothing in the database."""

from __future__ import annotations

import pytest
from django.test import Client

from .walk import (
    CSRF_EXEMPT_PREFIXES,
    all_routes,
    db_fingerprint,
    fill,
    fingerprint_diff,
    tenant_routes,
)

# Something a form would plausibly submit, so a view that forgot CSRF would act on it.
FORM = {
    "name": "csrf-probe",
    "text": "csrf-probe",
    "email": "csrf-probe@example.com",
    "role": "admin",
    "status": "resolved",
    "read_only": "",
}


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_every_tenant_page_refuses_a_post_without_a_csrf_token(tenant_a, owner_a):
    client = _csrf_client(owner_a)
    cache: dict = {}
    routes = tenant_routes()
    assert len(routes) >= 5, routes
    paths = [fill(route, tenant_a, cache) for route in routes]  # objects exist before the probe
    before = db_fingerprint()
    failures = []
    for path in paths:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, FORM)
            if response.status_code != 403:
                failures.append(f"{method.upper()} {path} -> {response.status_code}")
    assert not failures, "state-changing requests accepted without a CSRF token:\n" + "\n".join(
        failures
    )
    changed = fingerprint_diff(before, db_fingerprint())
    assert not changed, f"tables changed by refused requests: {changed}"


@pytest.mark.django_db
def test_the_same_posts_with_a_token_get_past_the_csrf_check(tenant_a, owner_a):
    """Guard against a walker that 'passes' because every page is 403 for another reason."""
    client = _csrf_client(owner_a)
    client.get(f"/t/{tenant_a.slug}/settings/")
    token = client.cookies["csrftoken"].value
    cache: dict = {}
    not_refused = 0
    for route in tenant_routes():
        path = fill(route, tenant_a, cache)
        response = client.post(path, FORM, HTTP_X_CSRFTOKEN=token)
        not_refused += response.status_code != 403
    assert not_refused >= 3


@pytest.mark.django_db
def test_no_view_outside_the_documented_list_is_csrf_exempt():
    offenders = []
    for route, pattern in all_routes():
        callback = pattern.callback
        if getattr(callback, "csrf_exempt", False) and not any(
            route.lstrip("^").startswith(prefix) for prefix in CSRF_EXEMPT_PREFIXES
        ):
            offenders.append(route)
    assert not offenders, f"CSRF-exempt views outside {sorted(CSRF_EXEMPT_PREFIXES)}: {offenders}"


@pytest.mark.django_db
def test_account_pages_refuse_a_post_without_a_csrf_token(owner_a):
    client = Client(enforce_csrf_checks=True)
    before = db_fingerprint()
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        response = client.post(path, {"login": owner_a.email, "password": "pw-for-tests-1"})
        assert response.status_code == 403, path
    assert "_auth_user_id" not in client.session
    assert not fingerprint_diff(before, db_fingerprint())


@pytest.mark.django_db
def test_the_api_with_a_session_refuses_writes_without_a_csrf_token(tenant_a, owner_a):
    client = _csrf_client(owner_a)
    before = db_fingerprint()
    refused = 0
    for route, _pattern in all_routes():
        if not route.startswith("api/v1/") or any(c in route for c in "<(*\\"):
            continue
        path = "/" + route.replace("^", "").replace("$", "")
        response = client.post(
            path,
            {"name": "csrf-probe"},
            content_type="application/json",
            HTTP_X_PARLEY_TENANT=tenant_a.slug,
        )
        assert response.status_code in (403, 405), f"POST {path} -> {response.status_code}"
        refused += response.status_code == 403
    assert refused >= 1
    assert not fingerprint_diff(before, db_fingerprint())
