"""Web Push tasks: thin, by id."""

from celery import shared_task

from .services import push_notify_new_message, push_notify_new_messages, push_retry


@shared_task(name="push.notify_new_message", soft_time_limit=60, time_limit=90)
def push_notify_new_message_task(message_id: int) -> int:
    return push_notify_new_message(message_id=message_id)


@shared_task(name="push.notify_new_messages", soft_time_limit=120, time_limit=150)
def push_notify_new_messages_task(message_ids: list[int]) -> int:
    """The new messages of one processing pass (inbox/ingest/pipeline.py)."""
    return push_notify_new_messages(message_ids=message_ids)


@shared_task(name="push.retry_subscription", soft_time_limit=60, time_limit=90)
def push_retry_task(message_id: int, subscription_id: int, attempt: int) -> int:
    return push_retry(message_id=message_id, subscription_id=subscription_id, attempt=attempt)
