"""Security headers on every page (walked), and HSTS / secure cookies under production settings
(checked in a subprocess with DEBUG=false, as the settings are read at import)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from .walk import fill, tenant_routes

ROOT = Path(__file__).resolve().parents[2]


def _csp_directives(value: str) -> dict[str, list[str]]:
    result = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            result[tokens[0]] = tokens[1:]
    return result


def assert_security_headers(response, path: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{path}: no Content-Security-Policy"
    directives = _csp_directives(csp)
    scripts = directives.get("script-src") or directives.get("default-src") or []
    assert scripts, f"{path}: CSP without script-src/default-src"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (path, csp)
    assert not any(s in ("*", "data:", "http:", "https:") for s in scripts), (path, csp)
    # Framing is denied by frame-ancestors, or the response is sandboxed user content (an
    # attachment: default-src 'none'; sandbox) and X-Frame-Options DENY covers framing.
    assert directives.get("frame-ancestors") == ["'none'"] or (
        "sandbox" in directives and directives.get("default-src") == ["'none'"]
    ), (path, csp)
    assert "object-src" in directives or "default-src" in directives, (path, csp)
    assert response.get("X-Frame-Options") == "DENY", path
    assert response.get("X-Content-Type-Options") == "nosniff", path
    assert response.get("Referrer-Policy") in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
        "strict-origin",
    ), path


@pytest.mark.django_db
def test_every_tenant_page_sends_the_security_headers(client_for, tenant_a, owner_a):
    client = client_for(owner_a)
    cache: dict = {}
    checked = 0
    for route in tenant_routes():
        path = fill(route, tenant_a, cache)
        response = client.get(path)
        if response.status_code in (405,):
            continue
        assert_security_headers(response, path)
        checked += 1
    assert checked >= 3


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/nowhere-404/"])
def test_public_pages_and_errors_send_the_security_headers(client, path):
    assert_security_headers(client.get(path), path)


PROBE = r"""
import json, django
django.setup()
from django.test import Client, override_settings
from django.conf import settings
# The manifest storage needs collectstatic; the headers do not depend on it.
storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    c = Client()
    plain = c.get("/accounts/login/", secure=False)
    r = c.get("/accounts/login/", secure=True)
    cookies = {k: {"secure": bool(v["secure"]), "httponly": bool(v["httponly"]),
                   "samesite": v["samesite"]} for k, v in r.cookies.items()}
    print(json.dumps({
        "debug": settings.DEBUG,
        "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
        "status": r.status_code, "hsts": r.get("Strict-Transport-Security", ""),
        "cookies": cookies, "session_secure": settings.SESSION_COOKIE_SECURE,
        "csrf_secure": settings.CSRF_COOKIE_SECURE,
    }))
"""


def test_production_settings_send_hsts_and_mark_cookies_secure():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["debug"] is False
    assert data["plain_status"] == 301 and data["plain_location"].startswith("https://")
    assert data["status"] == 200
    assert "max-age=31536000" in data["hsts"] and "includeSubDomains" in data["hsts"]
    assert data["session_secure"] and data["csrf_secure"]
    assert "csrftoken" in data["cookies"]
    for name, flags in data["cookies"].items():
        assert flags["secure"], f"cookie {name} not Secure under production settings"
        assert flags["samesite"] in ("Lax", "Strict"), name
