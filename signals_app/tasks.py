"""Thin Celery tasks: they take ids and call the sending services."""

import logging

from celery import current_app, shared_task

from . import sending
from .connection import connections_refresh_due

log = logging.getLogger(__name__)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


@shared_task(name="signals.send_pending", ignore_result=True)
def signals_send_pending(tenant_id: int) -> None:
    """Send one batch of the tenant's pending reports. A full batch enqueues the next one
    before sending, so several workers drain a large backlog in parallel."""
    claim = sending.signal_reports_claim(tenant_id=tenant_id)
    if claim is None:
        return
    if claim.full:
        signals_send_pending.delay(tenant_id)
    outcome = sending.signal_reports_send(claim=claim)
    if outcome.retry_in is not None and not _eager():
        signals_send_pending.apply_async((tenant_id,), countdown=max(1, int(outcome.retry_in)))


@shared_task(name="signals.sweep", ignore_result=True)
def signals_sweep() -> int:
    """Re-drive due pending reports (lost messages, expired leases, ended backoffs) and refresh
    OAuth tokens that expire soon."""
    try:
        connections_refresh_due()
    except Exception:
        log.exception("refreshing TikTok tokens failed")
    tenant_ids = sending.signal_reports_due_tenants()
    for tenant_id in tenant_ids:
        signals_send_pending.delay(tenant_id)
    return len(tenant_ids)
