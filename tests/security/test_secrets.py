"""API keys and OAuth tokens never appear in logs or error pages.

Every log record at every level (DEBUG included, all loggers) is captured during flows that
handle the secrets, and the 500 page is rendered with a secret in the request.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

import httpx
import pytest
from django.test import Client

from inbox.providers import tiktok, whatsapp
from inbox.simulator.fake_providers import FakeProviders
from tenants.services import api_key_create

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _all_log_text(caplog) -> str:
    """What the project's log formatter writes for every record (message, arguments,
    traceback), at every level and from every logger."""
    from django.conf import settings

    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    parts = []
    for record in caplog.records:
        parts.append(formatter.format(record))
        parts.append(repr(record.args))
    return "\n".join(parts)


def assert_nowhere(secret: str, *texts: str) -> None:
    assert len(secret) >= 12
    for text in texts:
        assert secret not in text
        assert secret[-12:] not in text  # not even a recognisable tail


@pytest.mark.django_db
def test_api_keys_are_not_logged_when_used_revoked_or_wrong(client_for, tenant_a, owner_a, caplog):
    caplog.set_level(logging.DEBUG)
    created = api_key_create(tenant=tenant_a, name="crm", read_only=False)
    raw = created.raw_key if hasattr(created, "raw_key") else created.key
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert api.get("/api/v1/labels/", **auth).status_code == 200
    assert (
        api.post(
            "/api/v1/labels/", {"name": "x" * 500}, content_type="application/json", **auth
        ).status_code
        == 400
    )
    wrong = raw[:-4] + "zzzz"
    assert api.get("/api/v1/labels/", HTTP_AUTHORIZATION=f"Bearer {wrong}").status_code == 401
    owner = client_for(owner_a)
    owner.post(f"/t/{tenant_a.slug}/settings/api-keys/{created.api_key.pk}/revoke/")
    response = api.get("/api/v1/labels/", **auth)
    assert response.status_code == 401
    assert_nowhere(raw, _all_log_text(caplog), response.content.decode())
    assert_nowhere(wrong, _all_log_text(caplog))


@pytest.mark.django_db
def test_a_key_created_in_the_ui_is_shown_once_and_never_logged(
    client_for, tenant_a, owner_a, caplog
):
    caplog.set_level(logging.DEBUG)
    client = client_for(owner_a)
    response = client.post(
        f"/t/{tenant_a.slug}/settings/api-keys/", {"name": "from-ui", "read_only": ""}
    )
    page = response.content.decode()
    from tenants.models import ApiKey

    key = ApiKey.objects.get(name="from-ui")
    # the raw key is on the page exactly once; find it by its public lookup prefix
    start = page.find(key.lookup)
    assert start >= 0, "the new key is not shown"
    shown = page[start:].split("<")[0].split('"')[0].split()[0]
    assert len(shown) > len(key.lookup)
    assert_nowhere(shown, _all_log_text(caplog))
    later = client.get(f"/t/{tenant_a.slug}/settings/api-keys/").content.decode()
    assert shown not in later


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_500_with_a_secret_in_the_request_shows_no_secret(
    tenant_a, settings, monkeypatch, caplog, debug
):
    """Under DEBUG=false the generic 500 page; under DEBUG=true (never in production) the
    technical page must still mask the Authorization header and secret settings."""
    caplog.set_level(logging.DEBUG)
    settings.DEBUG = debug
    created = api_key_create(tenant=tenant_a, name="crm", read_only=False)
    raw = created.raw_key if hasattr(created, "raw_key") else created.key
    # made at run time: the technical page shows source lines, which must not hold them
    oauth = "act.biz42." + secrets.token_hex(16)
    settings.TIKTOK_CLIENT_SECRET = secrets.token_hex(16)
    settings.META_APP_SECRET = secrets.token_hex(16)

    from inbox.api import LabelViewSet

    def boom(self, *args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(LabelViewSet, "scoped_queryset", boom)
    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/v1/labels/?access_token=" + oauth,
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_COOKIE="sessionid=abcdefabcdefabcdefabcdef12345678",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 500
    body = response.content.decode(errors="replace")
    logs = _all_log_text(caplog)
    for secret in (raw, settings.TIKTOK_CLIENT_SECRET, settings.META_APP_SECRET):
        assert_nowhere(secret, body, logs)
    if not debug:
        assert_nowhere(oauth, body, logs)
        assert "Traceback" not in body and "database exploded" not in body


def test_provider_clients_do_not_log_oauth_tokens(caplog):
    """The OAuth exchange, refresh, sends and media calls against the fake, at DEBUG level
    (httpx and httpcore included)."""
    caplog.set_level(logging.DEBUG)
    fake = FakeProviders(public_base_url="http://sim.test")
    app = {"client_id": "awparley", "client_secret": "client-secret-0123456789"}
    with httpx.Client(transport=fake.mock_transport()) as http:
        tokens = tiktok.exchange_code(
            http,
            base_url="http://sim.test/tiktok",
            code="sim.biz42",
            redirect_uri="https://parley.test/cb",
            now=NOW,
            **app,
        )
        refreshed = tiktok.refresh_token(
            http,
            base_url="http://sim.test/tiktok",
            refresh_token=tokens.refresh_token,
            now=NOW,
            **app,
        )
        tiktok.send_text(
            http,
            base_url="http://sim.test/tiktok",
            credentials={"access_token": refreshed.access_token},
            account_id="biz42",
            recipient="conv",
            text="hello",
        )
        graph_token = "EAA.106540352242922.GraphTokenValue0123456789"
        whatsapp.send_text(
            http,
            base_url="http://sim.test/graph",
            credentials={"access_token": graph_token},
            account_id="106540352242922",
            recipient="84901234567",
            text="hello",
        )
        with pytest.raises(Exception):  # noqa: B017 - a revoked token: the error path too
            tiktok.revoke(
                http, base_url="http://sim.test/tiktok", access_token=refreshed.access_token, **app
            )
            tiktok.send_text(
                http,
                base_url="http://sim.test/tiktok",
                credentials={"access_token": refreshed.access_token},
                account_id="biz42",
                recipient="conv",
                text="hello",
            )
    logs = _all_log_text(caplog)
    for secret in (
        tokens.access_token,
        tokens.refresh_token,
        refreshed.access_token,
        refreshed.refresh_token,
        graph_token,
        app["client_secret"],
    ):
        assert_nowhere(secret, logs)
