"""Hostile input through the real webhook views: never a 500, never a crashed worker; every
rejection a clear 4xx or a stored failed event. Replayed TikTok webhooks with an old
timestamp are rejected. Skipped until the channels webhook views are on main."""

from __future__ import annotations

import json
import time

import pytest
from django.db import OperationalError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.providers import registry
from tests.providers.helpers import (
    INSTAGRAM_ACCOUNT_ID,
    LINE_DESTINATION,
    MESSENGER_PAGE_ID,
    TIKTOK_BUSINESS_ID,
    WHATSAPP_PHONE_ID,
    ZALO_OA_ID,
)

from .fuzz import FIXTURE_PAYLOADS, PROVIDERS, invalid_utf8_body, mutated_payload

pytestmark = pytest.mark.django_db

TIKTOK_SECRET = "reliability-tiktok-secret"
META_SECRET = "reliability-meta-secret"
CHANNEL_SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # providers that sign per channel
ACCOUNTS = {
    "tiktok": TIKTOK_BUSINESS_ID,
    "whatsapp": WHATSAPP_PHONE_ID,
    "messenger": MESSENGER_PAGE_ID,
    "instagram": INSTAGRAM_ACCOUNT_ID,
    "line": LINE_DESTINATION,
    "zalo": ZALO_OA_ID,
}
# Providers whose secret is the app's: any body can be verified (and a bad one stored as a
# failed event). Per-channel providers find the secret from the payload's account first, so a
# body that is not JSON, or names no connected account, is a 401 with nothing stored.
APP_SIGNED = tuple(p for p in PROVIDERS if not registry.get(p).SIGNED_PER_CHANNEL)
PER_CHANNEL = tuple(p for p in PROVIDERS if registry.get(p).SIGNED_PER_CHANNEL)
VIEW_FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.TIKTOK_CLIENT_SECRET = TIKTOK_SECRET
    settings.META_APP_SECRET = META_SECRET
    settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS = 300


@pytest.fixture
def channels(tenant_a):
    from inbox.models import Channel

    return {
        p: Channel.objects.create(
            tenant=tenant_a,
            provider=p,
            name=f"{p} rel",
            account_id=a,
            credentials={
                "access_token": f"tok-{p}",
                "channel_secret": CHANNEL_SECRET,
                "oa_secret_key": CHANNEL_SECRET,
            },
        )
        for p, a in ACCOUNTS.items()
    }


def _headers(provider: str, raw: bytes, *, timestamp: int | None = None) -> dict:
    secret = TIKTOK_SECRET if provider == "tiktok" else META_SECRET
    if provider in PER_CHANNEL:
        secret = CHANNEL_SECRET
    headers = registry.get(provider).sign(raw, secret, timestamp=timestamp)
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def _post(provider: str, raw: bytes, headers: dict | None = None, *, timestamp=None):
        headers = _headers(provider, raw, timestamp=timestamp) if headers is None else headers
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/{provider}/", data=raw, content_type="application/json", **headers
            )

    return _post


def _raw(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _text_payload(provider: str, text: str) -> dict:
    from tests.providers.helpers import load

    name = {"tiktok": "im_receive_msg_text", "zalo": "user_send_text"}.get(provider, "message_text")
    payload = load(provider, name)
    if provider == "tiktok":
        content = json.loads(payload["content"])
        content["text"]["body"] = text
        payload["content"] = json.dumps(content)
    elif provider == "whatsapp":
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    elif provider == "line":
        payload["events"][0]["message"]["text"] = text
    elif provider == "zalo":
        payload = load(provider, "user_send_text")
        payload["message"]["text"] = text
    else:
        payload["entry"][0]["messaging"][0]["message"]["text"] = text
    return payload


def _expected_status(provider: str, payload) -> int:
    """200, unless a per-channel provider's payload no longer names the connected account."""
    if provider not in PER_CHANNEL:
        return 200
    try:
        named = registry.get(provider).webhook_account_id(json.loads(_raw(payload)))
    except (ValueError, RecursionError):
        return 401
    return 200 if named == ACCOUNTS[provider] else 401


def _events():
    from inbox.models import WebhookEvent

    return WebhookEvent.objects


# --- replays and signatures ------------------------------------------------------------------


@pytest.mark.parametrize("age", [3600, 301, -301, -3600])
def test_a_replayed_tiktok_webhook_with_an_old_or_future_timestamp_is_rejected(channels, post, age):
    raw = _raw(FIXTURE_PAYLOADS["tiktok"][0])
    response = post("tiktok", raw, timestamp=int(time.time()) - age)
    assert response.status_code == 401
    assert _events().count() == 0


def test_a_replay_inside_the_window_is_stored_once(channels, post):
    from inbox.models import Message

    raw = _raw(next(p for p in FIXTURE_PAYLOADS["tiktok"] if p["event"] == "im_receive_msg"))
    assert post("tiktok", raw).status_code == 200
    assert post("tiktok", raw, timestamp=int(time.time()) - 5).status_code == 200
    assert Message.objects.count() == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(channels, post, provider):
    raw = _raw(FIXTURE_PAYLOADS[provider][0])
    assert post(provider, raw, headers={}).status_code == 401
    forged = _headers(provider, raw + b" ")
    assert post(provider, raw, headers=forged).status_code == 401
    assert _events().count() == 0


# --- hostile bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_oversized_body_is_413_and_stores_nothing(channels, post, provider):
    raw = b'{"pad":"' + b"x" * (1_048_576 + 10) + b'"}'
    assert post(provider, raw).status_code == 413
    assert _events().count() == 0


@pytest.mark.parametrize("provider", APP_SIGNED)
@VIEW_FUZZ
@given(data=st.data())
def test_invalid_utf8_is_stored_as_a_failed_event(channels, post, provider, data):
    raw = invalid_utf8_body(_raw(data.draw(st.sampled_from(FIXTURE_PAYLOADS[provider]))), data)
    response = post(provider, raw)
    assert response.status_code == 200
    event = _events().filter(body=raw).first()
    assert event is not None and event.status in ("failed", "processed", "unrouted")


DEEP_JSON_BUG = (
    "known bug (docs/reliability.md): webhook_ingest catches ValueError around json.loads but "
    "not RecursionError, so a correctly signed, deeply nested body is a 500"
)
SURROGATE_BUG = (
    "known bug (docs/reliability.md): a lone UTF-16 surrogate (JSON escape \\ud800, or the "
    "bytes ED A0 80, which json.loads(bytes) accepts) parses into text PostgreSQL cannot "
    "store: the processing task raises UnicodeEncodeError and is retried instead of the "
    "event being failed at once"
)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("how", ["escape", "bytes"])
def test_a_lone_surrogate_is_stored_as_a_failed_or_cleaned_event(channels, post, provider, how):
    raw = _raw(_text_payload(provider, "Hello SURR there"))
    if how == "bytes":
        bad = b"\xed\xa0\x80"
    else:  # a JSON escape; TikTok's content is JSON inside a JSON string: escape twice
        bad = b"\\\\ud800" if provider == "tiktok" else b"\\ud800"
    response = post(provider, raw.replace(b"SURR", bad))
    assert response.status_code == 200
    event = _events().get()
    assert event.status in ("processed", "failed"), (event.status, event.error)


@pytest.mark.parametrize("provider", PER_CHANNEL)
@VIEW_FUZZ
@given(data=st.data())
def test_a_body_that_names_no_channel_is_401_for_per_channel_providers(
    channels, post, provider, data
):
    raw = invalid_utf8_body(_raw(data.draw(st.sampled_from(FIXTURE_PAYLOADS[provider]))), data)
    assert post(provider, raw).status_code in (200, 401)  # 200: JSON still read, channel known
    for nested in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        assert post(provider, nested).status_code == 401
    assert not _events().exclude(body=raw).exists()


@pytest.mark.parametrize("provider", APP_SIGNED)
@pytest.mark.parametrize("shape", ["list", "object"])
def test_deeply_nested_json_is_stored_as_a_failed_event_not_a_500(channels, post, provider, shape):
    depth = 100_000
    raw = (
        (b"[" * depth + b"]" * depth)
        if shape == "list"
        else (b'{"a":' * depth + b"1" + b"}" * depth)
    )
    response = post(provider, raw)
    assert response.status_code == 200
    assert _events().get().status == "failed"


@pytest.mark.parametrize("provider", PROVIDERS)
@VIEW_FUZZ
@given(data=st.data())
def test_signed_mutated_payloads_never_500_and_never_crash_the_worker(
    channels, post, provider, data
):
    payload = data.draw(mutated_payload(provider))
    try:
        raw = _raw(payload)
    except (ValueError, RecursionError):
        return
    if len(raw) > 1_048_576:
        return
    response = post(provider, raw)  # processing runs eagerly, on commit: a crash raises here
    assert response.status_code == _expected_status(provider, payload)
    event = _events().filter(body=raw).order_by("-pk").first()
    if event is not None:  # None: a duplicate of an earlier example (dedup key)
        assert event.status in ("processed", "failed", "unrouted"), (event.status, event.error)


@pytest.mark.parametrize("provider", PROVIDERS)
@VIEW_FUZZ
@given(data=st.data())
def test_objects_replaced_by_other_types_never_crash_the_worker(channels, post, provider, data):
    payload = data.draw(mutated_payload(provider, kinds=("node",)))
    raw = _raw(payload)
    if len(raw) > 1_048_576:
        return
    assert post(provider, raw).status_code == _expected_status(provider, payload)
    event = _events().filter(body=raw).order_by("-pk").first()
    if event is not None:
        assert event.status in ("processed", "failed", "unrouted"), (event.status, event.error)


# --- the database down ----------------------------------------------------------------------------


def test_webhooks_answer_503_when_the_database_is_down(channels, client, monkeypatch):
    """The real outage is exercised by bench/reliability (PostgreSQL restarted); here the
    ingest's INSERT fails as psycopg fails when the server is gone."""
    import inbox.ingest.views as views

    def down(**kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(views, "webhook_ingest", down)
    raw = _raw(FIXTURE_PAYLOADS["whatsapp"][0])
    response = client.post(
        "/webhooks/whatsapp/",
        data=raw,
        content_type="application/json",
        **_headers("whatsapp", raw),
    )
    assert response.status_code == 503
