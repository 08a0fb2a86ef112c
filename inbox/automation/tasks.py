from celery import shared_task
from django.db import InterfaceError, OperationalError

from inbox import effects
from inbox.automation.services import automation_run_for_message, automation_sweep
from inbox.automation.services.comment_rules import automation_run_for_comment


@shared_task(
    name=effects.AUTOMATION_RUN,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def automation_run_for_message_task(message_id: int) -> None:
    """Thin: the service is idempotent per message, so a retry never answers twice."""
    automation_run_for_message(message_id=message_id)


@shared_task(name="automation.sweep")
def automation_sweep_task() -> int:
    """Re-enqueue inbound messages that automation has not seen (e.g. Redis was down)."""
    return automation_sweep(enqueue=automation_run_for_message_task.delay)


@shared_task(
    name=effects.COMMENT_AUTOMATION_RUN,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def automation_run_for_comment_task(comment_id: int) -> None:
    """Thin: each rule runs at most once per comment (claimed before acting)."""
    automation_run_for_comment(comment_id=comment_id)
