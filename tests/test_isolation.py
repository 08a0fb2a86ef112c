"""Tenant isolation, endpoint by endpoint, for every URL pattern the project has now or later.

Tenant B's owner (every permission in B) tries each tenant page and API route with tenant A's
objects and must get 404, exactly as if they did not exist.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.services import api_key_create
from tests.isolation_objects import KWARG_FACTORIES, NON_OBJECT_KWARGS, NON_OBJECT_VALUES

METHODS = ("get", "post", "put", "patch", "delete")


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _kwargs(route):
    return re.findall(r"<(?:(\w+):)?(\w+)>", route)


def _fill(route, values):
    values = {**NON_OBJECT_VALUES, **values}

    def sub(match):
        return str(values[match.group(2)])

    path = re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\.", ".")


def _regex_kwargs(route):
    return re.findall(r"\(\?P<(\w+)>", route)


def tenant_page_routes():
    return sorted({route for route, _ in _walk(get_resolver()) if "<slug:tenant_slug>" in route})


def api_routes():
    routes = []
    for route, pattern in _walk(get_resolver()):
        if route.startswith("api/v1/") and "format" not in _regex_kwargs(route) + [
            n for _, n in _kwargs(route)
        ]:
            routes.append((route, pattern))
    return routes


def _object_kwargs(route):
    names = [name for _, name in _kwargs(route)] + _regex_kwargs(route)
    return [n for n in names if n not in NON_OBJECT_KWARGS]


@pytest.fixture
def a_objects(tenant_a):
    return {}


def _object_for(kwarg, tenant, cache):
    if kwarg not in KWARG_FACTORIES:
        pytest.fail(
            f"URL kwarg {kwarg!r} has no factory in tests/isolation_objects.py: add one so the "
            "isolation walker can check the endpoint."
        )
    if kwarg not in cache:
        cache[kwarg] = KWARG_FACTORIES[kwarg](tenant)
    return cache[kwarg]


def _assert_hidden(client, path, **extra):
    seen = {}
    for method in METHODS:
        response = getattr(client, method)(path, **extra)
        seen[method] = response.status_code
        assert response.status_code in (404, 405), (
            f"{method.upper()} {path} → {response.status_code}"
        )
    assert 404 in seen.values(), f"{path} never answered 404: {seen}"


@pytest.mark.django_db
def test_every_tenant_page_is_404_for_a_non_member(tenant_a, owner_a, owner_b, client_for):
    client = client_for(owner_b)
    cache = {}
    routes = tenant_page_routes()
    assert routes, "no tenant pages found"
    for route in routes:
        values = {"tenant_slug": tenant_a.slug}
        for kwarg in _object_kwargs(route):
            values[kwarg] = _object_for(kwarg, tenant_a, cache).pk
        _assert_hidden(client, _fill(route, values))


@pytest.mark.django_db
def test_no_tenant_page_shows_another_tenants_object(tenant_a, tenant_b, owner_b, client_for):
    client = client_for(owner_b)
    cache = {}
    checked = 0
    for route in tenant_page_routes():
        kwargs = _object_kwargs(route)
        if not kwargs:
            continue
        values = {"tenant_slug": tenant_b.slug}
        for kwarg in kwargs:
            values[kwarg] = _object_for(kwarg, tenant_a, cache).pk
        _assert_hidden(client, _fill(route, values))
        checked += 1
    assert checked > 0


@pytest.mark.django_db
def test_no_api_route_shows_another_tenants_object(tenant_a, tenant_b, client):
    key = api_key_create(tenant=tenant_b, name="b", read_only=False).raw_key
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    cache = {}
    for route, pattern in api_routes():
        kwargs = _object_kwargs(route)
        if not kwargs:
            continue
        values = {}
        for kwarg in kwargs:
            if kwarg == "pk":
                model = pattern.callback.cls.queryset.model
                values[kwarg] = _object_for(f"{model._meta.model_name}_id", tenant_a, cache).pk
            else:
                values[kwarg] = _object_for(kwarg, tenant_a, cache).pk
        path = "/" + _fill(route, values).lstrip("/")
        for method in METHODS:
            response = getattr(client, method)(path, content_type="application/json", **auth)
            assert response.status_code in (404, 405), (
                f"{method.upper()} {path} → {response.status_code}"
            )
