"""Webhook ingest: verify → store the raw event → enqueue on commit. Nothing slow here."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox.models import WebhookEvent
from inbox.providers import registry
from inbox.providers.base import header
from inbox.services import events
from inbox.services._sql import insert_ignore_conflict

from . import hot_path

log = logging.getLogger(__name__)

KEPT_HEADERS = ("Content-Type", "User-Agent", "Tiktok-Signature", "X-Hub-Signature-256")


@dataclass(frozen=True)
class IngestResult:
    status: int
    event_id: int | None = None
    duplicate: bool = False


def webhook_secrets(provider: str) -> list[str]:
    if provider == "tiktok":
        return [settings.TIKTOK_CLIENT_SECRET]
    return [settings.META_APP_SECRET]


def webhook_ingest(*, provider: str, headers, raw_body: bytes) -> IngestResult:
    module = registry.get(provider)
    if len(raw_body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return IngestResult(status=413)
    tolerance = settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS
    if not any(
        module.verify_signature(headers, raw_body, secret, tolerance=tolerance)
        for secret in webhook_secrets(provider)
        if secret
    ):
        return IngestResult(status=401)
    error = ""
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        payload, error = None, f"invalid JSON: {str(exc)[:500]}"
    values = {
        "provider": provider,
        "received_at": timezone.now(),
        "headers": {h: header(headers, h) for h in KEPT_HEADERS if header(headers, h)},
        "body": raw_body,
        "dedup_key": module.dedup_key(raw_body, payload)[:191],
        "status": WebhookEvent.Status.FAILED if error else WebhookEvent.Status.PENDING,
        "error": error,
    }
    if hot_path.pool_enabled():
        # The hot path: one autocommit INSERT on a pooled connection; the broker publish is
        # batched off the request thread.
        event_id = hot_path.insert_event(**values)
        if event_id is not None and not error:
            hot_path.dispatch(event_id)
    else:
        with transaction.atomic():
            event_id = insert_ignore_conflict(WebhookEvent(**values))
            if event_id is not None and not error:
                transaction.on_commit(lambda: enqueue_event(event_id))
    return IngestResult(status=200, event_id=event_id, duplicate=event_id is None)


def enqueue_event(event_id: int) -> None:
    from inbox.tasks import webhook_event_process_task

    events.enqueue(webhook_event_process_task, event_id)


def webhook_event_reprocess(*, event: WebhookEvent) -> WebhookEvent:
    """Operator action: put a failed or unrouted event back in the queue."""
    WebhookEvent.objects.filter(
        pk=event.pk,
        status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.UNROUTED],
    ).update(status=WebhookEvent.Status.PENDING, error="", attempts=0, processed_at=None)
    transaction.on_commit(lambda: enqueue_event(event.pk))
    event.refresh_from_db()
    return event
