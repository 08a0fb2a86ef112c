"""Every tenant page, opened by its owner, renders: no server error, a sane <title>."""

import re

import pytest

from tests.isolation_objects import KWARG_FACTORIES
from tests.test_isolation import _fill, _object_kwargs, tenant_page_routes


@pytest.mark.django_db
def test_every_tenant_page_renders_for_its_owner(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    cache = {}
    rendered = 0
    for route in tenant_page_routes():
        values = {"tenant_slug": tenant_a.slug}
        for kwarg in _object_kwargs(route):
            if kwarg not in cache:
                cache[kwarg] = KWARG_FACTORIES[kwarg](tenant_a)
            values[kwarg] = cache[kwarg].pk
        path = _fill(route, values)
        response = client.get(path)
        assert response.status_code < 500, f"GET {path} → {response.status_code}"
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            title = re.search(rb"<title>(.*?)</title>", response.content, re.S)
            if title:  # full pages, not htmx partials
                text = title.group(1).decode()
                assert "<" not in text and len(text.strip()) < 120, f"{path}: title {text[:80]!r}"
                rendered += 1
    assert rendered > 10
