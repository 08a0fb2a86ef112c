"""Web Push tasks: thin, by id."""

from celery import shared_task

from .services import push_notify_new_message


@shared_task(name="push.notify_new_message", soft_time_limit=60, time_limit=90)
def push_notify_new_message_task(message_id: int) -> int:
    return push_notify_new_message(message_id=message_id)
