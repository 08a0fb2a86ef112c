"""Webhook ingest: verify → store the raw event → enqueue on commit. Nothing slow here."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inbox.models import Message, WebhookEvent
from inbox.providers import registry
from inbox.providers.base import header

from . import _ingest_db, events
from ._sql import insert_ignore_conflict

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
    if _ingest_db.pool_enabled():
        # The hot path: one autocommit INSERT on a pooled connection; the broker publish is
        # batched off the request thread.
        event_id = _ingest_db.insert_event(**values)
        if event_id is not None and not error:
            _ingest_db.dispatch(event_id)
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


def sweep_pending(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Re-enqueue work left behind (e.g. while Redis was down): the database is the truth."""
    from inbox.tasks import SEND_TASK_TIME_LIMIT, message_deliver_task

    now = now or timezone.now()
    event_ids = list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING, received_at__lt=now - timedelta(seconds=60)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in event_ids:
        enqueue_event(pk)
    # A claim older than the send task's hard time limit means the worker died mid-send: queue
    # it again (at-least-once; an echo that arrived meanwhile has already attached the
    # provider id). With the sweep every 30 s a killed send is retried within about 90 s.
    stale = now - timedelta(seconds=SEND_TASK_TIME_LIMIT + 15)
    revived = Message.objects.filter(
        status=Message.Status.SENDING, updated_at__lt=stale, provider_message_id__isnull=True
    ).update(status=Message.Status.QUEUED, next_attempt_at=now, updated_at=now)
    Message.objects.filter(
        status=Message.Status.SENDING, updated_at__lt=stale, provider_message_id__isnull=False
    ).update(status=Message.Status.SENT, updated_at=now)
    message_ids = list(
        Message.objects.filter(status=Message.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(updated_at__lt=now - timedelta(seconds=30))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in message_ids:
        events.enqueue(message_deliver_task, pk)
    return {"events": len(event_ids), "messages": len(message_ids), "revived": revived}
