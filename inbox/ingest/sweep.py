"""The sweeper: re-enqueue work left behind (e.g. while Redis was down). The database, not the
broker, is the source of truth."""

from __future__ import annotations

from datetime import datetime, timedelta

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
        .values_list("pk", f"metadata__{COMMENT_ACTION_KEY}")[:limit]
    )
    for pk, comment_action in message_ids:  # a rule's comment action has its own task
        task = effects.COMMENT_ACTION_DELIVER if comment_action else effects.MESSAGE_DELIVER
        effects.task_send(task, pk)
    return {"events": len(event_ids), "messages": len(message_ids), "revived": revived}
