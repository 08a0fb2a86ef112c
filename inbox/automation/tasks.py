from celery import shared_task

from inbox.automation.services import automation_run_for_message


@shared_task(name="automation.run_for_message")
def automation_run_for_message_task(message_id: int) -> None:
    automation_run_for_message(message_id=message_id)
