"""Outbound CRM webhooks. (Filled in by the CRM work.)"""


def crm_event_emit(*, tenant, event_type: str, data: dict) -> None:
    """Queue an event for the tenant's webhook subscriptions."""
