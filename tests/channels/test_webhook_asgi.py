"""Provider webhooks served beside Django's request cycle (``inbox.ingest.asgi``), as uvicorn
serves them: the same answers and the same stored events as the view, and everything that is
not a webhook POST left to Django."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from inbox.ingest.asgi import webhook_fast_path
from inbox.models import Message, WebhookEvent
from tests.providers.helpers import load_raw

from .conftest import signed_headers

pytestmark = pytest.mark.django_db(transaction=True)


class Django:
    """Stands in for Django's ASGI app: records what it was handed, answers 299."""

    def __init__(self):
        self.paths: list[tuple[str, str]] = []

    async def __call__(self, scope, receive, send):
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def post(app, path: str, body: bytes, headers: dict, host: str = "testserver"):
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            return await client.post(path, content=body, headers=headers)

    return asyncio.run(go())


def wire_headers(provider: str, raw: bytes, **kwargs) -> dict:
    """``signed_headers`` (META keys, for Django's test client) as the wire's names."""
    meta = signed_headers(provider, raw, **kwargs)
    return {k[5:].replace("_", "-"): v for k, v in meta.items()} | {
        "Content-Type": "application/json"
    }


@pytest.fixture
def app(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    django = Django()
    return webhook_fast_path(django), django


def test_a_signed_webhook_is_stored_once_processed_and_answered_ok(app, tiktok_channel):
    application, django = app
    raw = load_raw("tiktok", "im_receive_msg_text")
    first = post(application, "/webhooks/tiktok/", raw, wire_headers("tiktok", raw))
    assert (first.status_code, first.text) == (200, "ok")
    assert first.headers["x-content-type-options"] == "nosniff"
    deadline = time.monotonic() + 10  # the dispatcher thread processes it (eager here)
    while time.monotonic() < deadline and not Message.objects.exists():
        time.sleep(0.05)
    assert Message.objects.count() == 1
    event = WebhookEvent.objects.get()
    assert event.status == "processed" and "Tiktok-Signature" in event.headers
    again = post(application, "/webhooks/tiktok/", raw, wire_headers("tiktok", raw))
    assert again.status_code == 200
    assert WebhookEvent.objects.count() == 1 and Message.objects.count() == 1
    assert django.paths == []


def test_a_bad_signature_is_401_and_nothing_stored(app, tiktok_channel):
    application, _ = app
    raw = load_raw("tiktok", "im_receive_msg_text")
    headers = wire_headers("tiktok", raw)
    tampered = raw.replace(b"}", b" }", 1)
    response = post(application, "/webhooks/tiktok/", tampered, headers)
    assert (response.status_code, response.text) == (401, "bad signature")
    missing = post(application, "/webhooks/whatsapp/", raw, {"Content-Type": "application/json"})
    assert missing.status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_signed_but_not_json_is_kept_as_a_failed_event(app, whatsapp_channel):
    application, _ = app
    raw = b'{"object": "whatsapp_business_account", '
    response = post(application, "/webhooks/whatsapp/", raw, wire_headers("whatsapp", raw))
    assert response.status_code == 200
    (event,) = WebhookEvent.objects.all()
    assert event.status == "failed" and "invalid JSON" in event.error


def test_a_body_over_the_limit_is_413_and_nothing_stored(app, whatsapp_channel):
    application, _ = app
    raw = b'{"object":"page","pad":"' + b"x" * 1_048_600 + b'"}'
    response = post(application, "/webhooks/messenger/", raw, wire_headers("messenger", raw))
    assert response.status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_what_is_not_a_webhook_post_goes_to_django(app, settings):
    application, django = app
    raw = b"{}"
    assert post(application, "/webhooks/nosuchprovider/", raw, {}).status_code == 299
    assert post(application, "/webhooks/tiktok/extra/", raw, {}).status_code == 299
    assert post(application, "/api/v1/conversations/", raw, {}).status_code == 299
    assert post(application, "/webhooks/tiktok/", raw, {}, host="evil.example").status_code == 299

    async def get():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/webhooks/whatsapp/?hub.mode=subscribe")

    assert asyncio.run(get()).status_code == 299
    settings.SECURE_SSL_REDIRECT = True  # plain HTTP: Django redirects it
    assert post(application, "/webhooks/tiktok/", raw, {}).status_code == 299
    assert (
        post(application, "/webhooks/tiktok/", raw, {"X-Forwarded-Proto": "https"}).status_code
        == 401
    )
    assert [path for _, path in django.paths] == [
        "/webhooks/nosuchprovider/",
        "/webhooks/tiktok/extra/",
        "/api/v1/conversations/",
        "/webhooks/tiktok/",
        "/webhooks/whatsapp/",
        "/webhooks/tiktok/",
    ]
    assert WebhookEvent.objects.count() == 0


def test_the_served_application_routes_webhooks_here():
    import gc

    from config import asgi

    gc.unfreeze()  # the module freezes start-up's objects for a web process, not for tests

    assert asgi.application.application_mapping["http"].__qualname__.startswith("webhook_fast_path")
