"""Thin Celery tasks: they take ids and call the sending services."""

import logging

from celery import shared_task

from inbox import effects

from . import sending
from .connection import connections_refresh_due

log = logging.getLogger(__name__)


@shared_task(name=effects.SIGNALS_SEND, ignore_result=True)
def signals_send_pending(tenant_id: int) -> None:
    """Send one batch of the tenant's pending reports. A full batch enqueues the next one
    before sending, so several workers drain a large backlog in parallel."""
    effects.task_started(effects.SIGNALS_SEND, tenant_id)
    claim = sending.signal_reports_claim(tenant_id=tenant_id)
    if claim is None:
        return
    if claim.full:
        effects.task_send(effects.SIGNALS_SEND, tenant_id)
    outcome = sending.signal_reports_send(claim=claim)
    if outcome.retry_in is not None:
        # Run in-process (eagerly), this comes back at once: the claim then finds nothing due
        # (the failed reports and a throttled connection wait until later) and returns.
        effects.task_send(effects.SIGNALS_SEND, tenant_id, countdown=max(1, int(outcome.retry_in)))


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
        effects.task_send(effects.SIGNALS_SEND, tenant_id)
    return len(tenant_ids)
