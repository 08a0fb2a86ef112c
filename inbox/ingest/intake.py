"""Webhook ingest: verify → store the raw event → enqueue on commit. Nothing slow here."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from inbox import effects
from inbox.models import Channel, WebhookEvent
from inbox.providers import registry
from inbox.providers.base import header
from inbox.services._sql import insert_ignore_conflict

from .dispatch import dispatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    status: int
    event_id: int | None = None
    duplicate: bool = False


def _parse_json(raw_body: bytes) -> tuple[object, str]:
    try:
        return json.loads(raw_body), ""
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return None, f"invalid JSON: {str(exc)[:500]}"


def signing_channel(module, payload) -> Channel | None:
    """For a provider that signs per channel: the channel the payload names (its account
    field), whose secret must verify the signature. None when the payload names none we know."""
    try:
        account_id = str(module.webhook_account_id(payload) or "")
    except (AttributeError, TypeError, KeyError, IndexError, ValueError):
        return None
    if not account_id:
        return None
    return Channel.objects.filter(provider=module.NAME, account_id=account_id).first()


def verifying_secrets(module, payload) -> list[str]:
    """The secrets that may have signed this webhook: the app's, or the named channel's."""
    if not module.SIGNED_PER_CHANNEL:
        return [secret for secret in module.webhook_secrets() if secret]
    channel = signing_channel(module, payload)
    secret = module.channel_webhook_secret(channel) if channel is not None else ""
    return [secret] if secret else []


# A channel's webhook secret, kept by each process for a few seconds: a busy per-channel
# provider then verifies without a database read per webhook. Only a secret that verifies is
# trusted from here; any failure reads the channel again (a new secret works at once), and a
# disconnect in this process forgets it (elsewhere it ages out within the TTL).
CHANNEL_SECRET_TTL = 30.0
_channel_secrets: dict[tuple[str, str], tuple[float, str]] = {}
_channel_secrets_lock = threading.Lock()


def channel_secret_forget(provider: str | None = None, account_id: str | None = None) -> None:
    with _channel_secrets_lock:
        if provider is None:
            _channel_secrets.clear()
        else:
            _channel_secrets.pop((provider, str(account_id)), None)


def _per_channel_verified(module, headers, raw_body: bytes, payload) -> bool:
    try:
        account_id = str(module.webhook_account_id(payload) or "")
    except (AttributeError, TypeError, KeyError, IndexError, ValueError):
        return False
    if not account_id:
        return False
    key, now = (module.NAME, account_id), time.monotonic()
    with _channel_secrets_lock:
        cached = _channel_secrets.get(key)
    if cached and cached[0] > now and module.verify_webhook(headers, raw_body, cached[1]):
        return True
    secrets = verifying_secrets(module, payload)
    with _channel_secrets_lock:
        if secrets:
            _channel_secrets[key] = (now + CHANNEL_SECRET_TTL, secrets[0])
        else:
            _channel_secrets.pop(key, None)
    return any(module.verify_webhook(headers, raw_body, secret) for secret in secrets)


def webhook_verified(module, headers, raw_body: bytes, payload) -> bool:
    if module.SIGNED_PER_CHANNEL:
        return _per_channel_verified(module, headers, raw_body, payload)
    return any(
        module.verify_webhook(headers, raw_body, secret)
        for secret in verifying_secrets(module, payload)
    )


def route_account(module, payload) -> str:
    """The account the payload names, for fair claiming ('' when it names none)."""
    read = getattr(module, "route_account_id", None) or module.webhook_account_id
    try:
        return str(read(payload) or "")[:64]
    except (AttributeError, TypeError, KeyError, IndexError, ValueError):
        return ""


def _kept_headers(headers) -> dict[str, str]:
    names = ["Content-Type", "User-Agent"]
    names += sorted({p.SIGNATURE_HEADER for p in registry.PROVIDERS.values()})
    return {name: header(headers, name) for name in names if header(headers, name)}


def webhook_ingest(*, provider: str, headers, raw_body: bytes) -> IngestResult:
    """Verify → store the raw event (deduplicated) → enqueue its processing. A wrong or
    missing signature (or, for a provider that signs per channel, an unknown channel) is a
    401 and stores nothing; a signed body that is not JSON is stored as a failed event."""
    module = registry.get(provider)
    if len(raw_body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return IngestResult(status=413)
    payload, error = None, ""
    if module.SIGNED_PER_CHANNEL:  # the payload names the channel whose secret signed it
        payload, error = _parse_json(raw_body)
    if not webhook_verified(module, headers, raw_body, payload):
        return IngestResult(status=401)
    if not module.SIGNED_PER_CHANNEL:
        payload, error = _parse_json(raw_body)
    values = {
        "provider": provider,
        "received_at": timezone.now(),
        "headers": _kept_headers(headers),
        "body": raw_body,
        "dedup_key": module.dedup_key(raw_body, payload)[:191],
        "account_id": route_account(module, payload),
        "status": WebhookEvent.Status.FAILED if error else WebhookEvent.Status.PENDING,
        "error": error,
    }
    # Outside a transaction (a request) the INSERT autocommits on its own, on a connection
    # borrowed from Django's pool, and the publish is batched off the request thread.
    in_transaction = transaction.get_connection().in_atomic_block
    event_id = _store(WebhookEvent(**values), in_transaction)
    if event_id is not None and not error:
        if in_transaction:
            transaction.on_commit(lambda: enqueue_event(event_id))
        else:
            dispatch(event_id)
    return IngestResult(status=200, event_id=event_id, duplicate=event_id is None)


def _store(event: WebhookEvent, in_transaction: bool) -> int | None:
    if in_transaction:
        return insert_ignore_conflict(event)
    try:
        return insert_ignore_conflict(event)
    except OperationalError:
        # A pooled connection that broke since its last use (a database restart under load;
        # config/db/base.py checks only connections idle for a while). Returning it clears the
        # pool of dead connections; retry once on a live one (the dedup key makes it idempotent).
        transaction.get_connection().close()
        return insert_ignore_conflict(event)


def enqueue_event(event_id: int) -> None:
    effects.task_send(effects.WEBHOOK_EVENT_PROCESS, event_id)


def webhook_event_reprocess(*, event: WebhookEvent) -> WebhookEvent:
    """Operator action: put a failed or unrouted event back in the queue."""
    WebhookEvent.objects.filter(
        pk=event.pk,
        status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.UNROUTED],
    ).update(status=WebhookEvent.Status.PENDING, error="", attempts=0, processed_at=None)
    transaction.on_commit(lambda: enqueue_event(event.pk))
    event.refresh_from_db()
    return event
