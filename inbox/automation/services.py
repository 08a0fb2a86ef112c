"""Auto-reply rules. (Filled in by the automation work.)"""


def automation_run_for_message(*, message_id: int) -> None:
    """Evaluate the tenant's auto-reply rules for one stored inbound message."""
