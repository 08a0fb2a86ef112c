"""Periodic work of the inbox UI (registered in config/celery.py)."""

from celery import shared_task

from inbox.services.conversations import conversations_wake_snoozed


@shared_task(name="inbox.wake_snoozed_conversations")
def wake_snoozed_conversations() -> int:
    """Reopen snoozed conversations whose time has come."""
    return conversations_wake_snoozed()
