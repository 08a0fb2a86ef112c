"""Provider webhooks (``POST /webhooks/<provider>/``) served beside Django's request cycle, not
through it.

Under ASGI, Django runs a sync view through its whole machinery per request: a new thread
(its per-request executor), three hops between the event loop and threads, a request object
and twelve middleware, most of them about sessions, users, CSRF, languages and pages, none of
which a signed machine-to-machine POST uses. Measured under the reliability load, the web
processes spent ~6 ms of CPU per webhook, the ingest itself (verify, one INSERT, hand to the
dispatcher) a fraction of it (docs/reliability.md, "Where the CPU goes").

This path does exactly what the view does (``inbox.ingest.views.provider_webhook``), by
calling the same ``webhook_ingest``: signature checked before anything is stored, dedupe by
the stored key, a signed body that is not JSON kept as a failed event, 413 over the size
limit, 503 when the database is unavailable. It runs the ingest on a small fixed pool of
threads, each taking a pooled database connection per webhook and giving it back, as a request
does. Everything else — the GET handshake, other methods, unknown providers, a host not in
``ALLOWED_HOSTS``, plain HTTP when ``SECURE_SSL_REDIRECT`` is on — goes to Django unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.http.request import split_domain_port, validate_host
from django.utils.datastructures import CaseInsensitiveMapping

from inbox.ingest.intake import webhook_ingest
from inbox.providers import registry

log = logging.getLogger(__name__)

PATH = re.compile(r"^/webhooks/([-a-zA-Z0-9_]+)/$")
BODIES = {200: b"ok", 401: b"bad signature", 413: b"payload too large", 503: b"unavailable"}
# The headers Django's security middleware would add to a plain-text answer.
HEADERS = [
    (b"content-type", b"text/plain"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=settings.WEBHOOK_INGEST_THREADS, thread_name_prefix="webhook"
                )
    return _pool


def _headers(scope) -> CaseInsensitiveMapping:
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or []:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        found[name] = f"{found[name]},{value}" if name in found else value
    return CaseInsensitiveMapping(found)


def _ours(scope, headers: CaseInsensitiveMapping) -> str | None:
    """The provider, when this request is a webhook POST this path serves; else None."""
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    match = PATH.match(scope.get("path") or "")
    if match is None or match.group(1) not in registry.PROVIDERS:
        return None
    domain, _port = split_domain_port(headers.get("host", ""))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None  # Django answers 400, as for any page
    if getattr(settings, "SECURE_SSL_REDIRECT", False):
        forwarded = headers.get("x-forwarded-proto", "")
        if scope.get("scheme") != "https" and forwarded != "https":
            return None  # Django redirects
    return match.group(1)


def _ingest(provider: str, headers: CaseInsensitiveMapping, body: bytes) -> int:
    close_old_connections()
    try:
        return webhook_ingest(provider=provider, headers=headers, raw_body=body).status
    except (DatabaseError, psycopg.Error):
        log.exception("webhook %s: database unavailable", provider)
        return 503  # the provider retries later; nothing was half-written (one INSERT)
    except Exception:
        log.exception("webhook %s: ingest failed", provider)
        return 500
    finally:
        close_old_connections()  # the pooled connection goes back, as after a request


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send, status: int) -> None:
    body = BODIES.get(status, b"")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def webhook_fast_path(app):
    """``app`` with provider webhook POSTs served here first."""

    async def application(scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await app(scope, receive, send)
        headers = _headers(scope)
        provider = _ours(scope, headers)
        if provider is None:
            return await app(scope, receive, send)
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        try:
            declared = int(headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return await _answer(send, 413)
        try:
            body = await _read_body(receive, limit)
        except ConnectionAbortedError:
            return None  # the client went away; nothing stored
        if body is None:
            return await _answer(send, 413)
        loop = asyncio.get_running_loop()
        status = await loop.run_in_executor(_executor(), _ingest, provider, headers, body)
        await _answer(send, status)
        return None

    return application
