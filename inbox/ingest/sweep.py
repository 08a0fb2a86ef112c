"""The sweeper: re-enqueue work left behind (e.g. while Redis was down). The database, not the
broker, is the source of truth."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inbox import effects
from inbox.models import Message, WebhookEvent
from inbox.services.sending import COMMENT_ACTION_KEY, SEND_TASK_TIME_LIMIT

from .intake import enqueue_event


def sweep_pending(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Re-enqueue work left behind (e.g. while Redis was down): the database is the truth."""
    now = now or timezone.now()
    events = list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING, received_at__lt=now - timedelta(seconds=60)
        )
        .order_by("received_at")
        .values_list("pk", "attempts")[:limit]
    )
    # Never tried: one batch task drains them (and whatever else is pending). Failed before:
    # retried one by one, so a poisoned event never holds up a batch.
    if any(attempts == 0 for _pk, attempts in events):
        effects.task_send(effects.WEBHOOK_EVENTS_PROCESS, [pk for pk, a in events if a == 0])
    for pk, attempts in events:
        if attempts:
            enqueue_event(pk)
    event_ids = [pk for pk, _attempts in events]
    # A claim older than the send task's hard time limit means the worker died mid-send: queue
    # it again and send it now, not one sweep later (at-least-once; an echo that arrived
    # meanwhile has already attached the provider id). With the sweep every 30 s a killed
    # send is retried within about 90 s of its claim.
    stale = now - timedelta(seconds=SEND_TASK_TIME_LIMIT + 15)
    with transaction.atomic():
        orphaned = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(
                status=Message.Status.SENDING,
                updated_at__lt=stale,
                provider_message_id__isnull=True,
            )
            .order_by("created_at")
            .values_list("pk", f"metadata__{COMMENT_ACTION_KEY}")[:limit]
        )
        Message.objects.filter(pk__in=[pk for pk, _action in orphaned]).update(
            status=Message.Status.QUEUED, next_attempt_at=None, updated_at=now
        )
    revived = len(orphaned)
    Message.objects.filter(
        status=Message.Status.SENDING, updated_at__lt=stale, provider_message_id__isnull=False
    ).update(status=Message.Status.SENT, updated_at=now)
    message_ids = list(
        Message.objects.filter(status=Message.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(updated_at__lt=now - timedelta(seconds=30))
        .order_by("created_at")
        .values_list("pk", f"metadata__{COMMENT_ACTION_KEY}")[:limit]
    )
    # Just revived (so not among those), then the ones left queued. A rule's comment action
    # has its own task.
    for pk, comment_action in [*orphaned, *message_ids]:
        task = effects.COMMENT_ACTION_DELIVER if comment_action else effects.MESSAGE_DELIVER
        effects.task_send(task, pk)
    return {"events": len(event_ids), "messages": len(message_ids), "revived": revived}
