"""Inbox tasks: thin wrappers that take ids and call services."""

import logging

from celery import shared_task

from tenants.models import AuditLog

log = logging.getLogger(__name__)


@shared_task(name="inbox.ping_database")
def ping_database(tenant_id: int, action: str) -> None:
    """A health check for operators and tests: proves a worker reaches the database."""
    AuditLog.objects.create(tenant_id=tenant_id, action=action)


@shared_task(name="inbox.webhook_event_process")
def webhook_event_process_task(event_id: int) -> str | None:
    from inbox.ingest.processing import webhook_event_process

    return webhook_event_process(event_id=event_id)


@shared_task(name="inbox.webhook_events_process")
def webhook_events_process_task(event_ids: list[int]) -> int:
    """A batch from the ingest dispatcher; each event is processed on its own."""
    from inbox.ingest.processing import webhook_event_process

    done = 0
    for event_id in event_ids:
        try:
            webhook_event_process(event_id=event_id)
            done += 1
        except Exception:  # recorded on the event; the sweeper retries it
            log.warning("webhook event %s failed; left for the sweeper", event_id)
    return done


# One provider call (PROVIDER_HTTP_TIMEOUT) and a few queries: a send that has not finished in
# SEND_TASK_TIME_LIMIT seconds was killed, and the sweeper may safely queue it again.
SEND_TASK_TIME_LIMIT = 45


@shared_task(
    name="inbox.message_deliver",
    soft_time_limit=SEND_TASK_TIME_LIMIT - 15,
    time_limit=SEND_TASK_TIME_LIMIT,
)
def message_deliver_task(message_id: int) -> str | None:
    from inbox.services.sending import message_deliver

    return message_deliver(message_id=message_id)


@shared_task(name="inbox.simulator_statuses")
def simulator_statuses_task(message_id: int) -> int:
    """Simulated channels only: the fake customer receives and reads our message."""
    from inbox.models import Message
    from inbox.simulator.payloads import simulate_statuses

    message = (
        Message.objects.select_related("channel", "conversation").filter(pk=message_id).first()
    )
    return len(simulate_statuses(message=message)) if message else 0


@shared_task(name="inbox.attachments_prefetch")
def attachments_prefetch_task(message_id: int) -> int:
    from inbox.services.media import attachments_prefetch

    return attachments_prefetch(message_id=message_id)


@shared_task(name="inbox.sweep_pending")
def sweep_pending_task() -> dict:
    from inbox.ingest.sweep import sweep_pending

    return sweep_pending()


@shared_task(name="inbox.wake_snoozed_conversations")
def wake_snoozed_conversations() -> int:
    """Reopen snoozed conversations whose time has come."""
    from inbox.services.conversations import conversations_wake_snoozed

    return conversations_wake_snoozed()


@shared_task(name="inbox.channels_refresh_tokens")
def channels_refresh_tokens_task() -> int:
    from inbox.services.channels import channels_refresh_expiring

    return channels_refresh_expiring()
