"""Walking every URL pattern of the project (now and later), for the security suite.

Builds on the isolation walker's helpers (tests/test_isolation.py) and its object factories
(tests/isolation_objects.py), so a page added later is covered without touching this suite.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.urls import get_resolver

from tests.isolation_objects import KWARG_FACTORIES
from tests.test_isolation import _fill, _object_kwargs, _walk

# URL prefixes whose views may be CSRF-exempt, and why.
CSRF_EXEMPT_PREFIXES = {
    "webhooks/": "signed provider webhooks (HMAC over the raw body instead of a CSRF token)",
    "api/": "DRF: APIView.as_view() is exempt; SessionAuthentication enforces CSRF itself and "
    "API-key requests carry no ambient credentials (checked by the API test below)",
    "simulator/api/": "the simulator's fake provider APIs (machine-to-machine, off in production)",
    "simulator/tiktok-ads/": "the simulator's fake TikTok Ads / Events API (machine-to-machine, "
    "off in production)",
}


def all_routes() -> list[tuple[str, object]]:
    return sorted(_walk(get_resolver()), key=lambda item: item[0])


def tenant_routes() -> list[str]:
    return sorted({route for route, _ in all_routes() if "<slug:tenant_slug>" in route})


def fill(route: str, tenant, cache: dict) -> str:
    values = {"tenant_slug": tenant.slug}
    for kwarg in _object_kwargs(route):
        if kwarg not in KWARG_FACTORIES:
            raise AssertionError(
                f"URL kwarg {kwarg!r} has no factory in tests/isolation_objects.py"
            )
        if kwarg not in cache:
            cache[kwarg] = KWARG_FACTORIES[kwarg](tenant)
        values[kwarg] = cache[kwarg].pk
    return _fill(route, values)


def db_fingerprint() -> dict[str, str]:
    """An md5 of every row of every table of the project's models (sessions excluded): any
    write, anywhere, changes it."""
    result = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table in ("django_session",) or model._meta.proxy:
                continue
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: E501
                f'FROM "{table}" t'
            )
            count, digest = cursor.fetchone()
            result[table] = f"{count}:{digest}"
    return result


def fingerprint_diff(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before if before[t] != after.get(t))
