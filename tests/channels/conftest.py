"""Channels test world: one simulated channel per provider for tenant A, a signed-webhook
poster, and the fake providers (database store, as the worker and the web process share)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Channel
from inbox.providers import registry
from inbox.simulator.fake_providers import FakeProviders
from inbox.simulator.store import DatabaseStore
from tests.providers.helpers import (
    INSTAGRAM_ACCOUNT_ID,
    LINE_DESTINATION,
    MESSENGER_PAGE_ID,
    TIKTOK_BUSINESS_ID,
    WHATSAPP_PHONE_ID,
    WHATSAPP_WABA_ID,
    ZALO_OA_ID,
    load_recent_raw,
)

TIKTOK_SECRET = "test-tiktok-client-secret"
META_SECRET = "test-meta-app-secret"


@pytest.fixture(autouse=True)
def _provider_settings(settings):
    settings.TIKTOK_CLIENT_SECRET = TIKTOK_SECRET
    settings.META_APP_SECRET = META_SECRET
    settings.META_VERIFY_TOKEN = "verify-me"
    settings.SIMULATOR_ENABLED = True
    settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS = 300


@pytest.fixture
def fake(db):
    return FakeProviders(DatabaseStore())


def fake_requests(path_contains: str = "") -> list[dict]:
    return [r for r in DatabaseStore().requests() if path_contains in r["path"]]


def _channel(tenant, provider, account_id, credentials, **extra):
    return Channel.objects.create(
        tenant=tenant,
        provider=provider,
        name=f"{provider} test",
        account_id=account_id,
        credentials=credentials,
        settings={"simulator": True},
        **extra,
    )


@pytest.fixture
def tiktok_channel(tenant_a):
    return _channel(
        tenant_a,
        "tiktok",
        TIKTOK_BUSINESS_ID,
        {"access_token": f"act.{TIKTOK_BUSINESS_ID}.t", "refresh_token": "rft.biz.r"},
        token_expires_at=timezone.now() + timedelta(days=1),
    )


@pytest.fixture
def whatsapp_channel(tenant_a):
    return _channel(
        tenant_a,
        "whatsapp",
        WHATSAPP_PHONE_ID,
        {"access_token": "EAA.wa.t"},
        waba_id=WHATSAPP_WABA_ID,
    )


@pytest.fixture
def messenger_channel(tenant_a):
    return _channel(
        tenant_a, "messenger", MESSENGER_PAGE_ID, {"access_token": f"EAA.{MESSENGER_PAGE_ID}.t"}
    )


@pytest.fixture
def instagram_channel(tenant_a):
    return _channel(
        tenant_a,
        "instagram",
        INSTAGRAM_ACCOUNT_ID,
        {"flavour": "instagram_login", "access_token": f"IGAA.{INSTAGRAM_ACCOUNT_ID}.t"},
    )


@pytest.fixture
def all_channels(tiktok_channel, whatsapp_channel, messenger_channel, instagram_channel, tenant_a):
    # the providers that sign per channel: the fixtures' accounts, with CHANNEL_SECRET
    line = _channel(
        tenant_a,
        "line",
        LINE_DESTINATION,
        {"access_token": "line-token", "channel_secret": CHANNEL_SECRET},
    )
    zalo = _channel(
        tenant_a,
        "zalo",
        ZALO_OA_ID,
        {"access_token": f"zat.{ZALO_OA_ID}.t", "oa_secret_key": CHANNEL_SECRET},
    )
    return {
        "tiktok": tiktok_channel,
        "whatsapp": whatsapp_channel,
        "messenger": messenger_channel,
        "instagram": instagram_channel,
        "line": line,
        "zalo": zalo,
    }


CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"


def signed_headers(provider: str, raw: bytes, *, timestamp: int | None = None) -> dict:
    secret = TIKTOK_SECRET if provider == "tiktok" else META_SECRET
    if registry.get(provider).SIGNED_PER_CHANNEL:
        secret = CHANNEL_SECRET
    headers = registry.get(provider).sign(raw, secret, timestamp=timestamp)
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """post_webhook(provider, raw_or_fixture_name) → response, with on-commit work run.
    A fixture named here arrives as if sent now (see ``load_recent``); the same "now" for the
    whole test, so posting a fixture twice is a byte-identical redelivery."""
    now = time.time()

    def post(provider: str, raw, *, headers: dict | None = None, timestamp: int | None = None):
        if isinstance(raw, str):
            raw = load_recent_raw(provider, raw, now=now)
        elif isinstance(raw, dict):
            raw = json.dumps(raw).encode()
        if headers is None:
            headers = signed_headers(provider, raw, timestamp=timestamp)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/{provider}/", data=raw, content_type="application/json", **headers
            )

    return post
