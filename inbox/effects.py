"""The one door for side effects: what should follow a write, sent once the write commits.

A service records here, inside its transaction, what must happen after it: a live hint to
the agents' browsers, an outbound webhook event (its outbox rows are written now, in the
caller's transaction), a task such as automation, signal sending or a media prefetch. Nothing
leaves the process before COMMIT, so a rollback sends nothing.

Tasks are sent by name: no service imports a task module (tasks import services, never the
reverse). A broker that refuses a task is logged, never raised: the row that needs the work is
already in the database, and a periodic sweep sends it again — the database, not the broker,
is the source of truth.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from functools import partial

from django.db import transaction

from config.celery import app as celery_app
from inbox import realtime
from inbox.outbound_webhooks import outbox

log = logging.getLogger(__name__)

# The task names the door sends (the wire contract with the workers; a test checks each one
# is registered).
AUTOMATION_RUN = "automation.run_for_message"
MEDIA_PREFETCH = "inbox.attachments_prefetch"
MESSAGE_DELIVER = "inbox.message_deliver"
COMMENT_ACTION_DELIVER = "inbox.comment_action_deliver"
SIMULATOR_STATUSES = "inbox.simulator_statuses"
WEBHOOK_EVENT_PROCESS = "inbox.webhook_event_process"
WEBHOOK_EVENTS_PROCESS = "inbox.webhook_events_process"
OUTBOUND_WEBHOOK_DELIVER = "crm.deliver"
SIGNALS_SEND = "signals.send_pending"
PUSH_NOTIFY = "push.notify_new_message"
PUSH_RETRY = "push.retry_subscription"
TEMPLATES_SYNC = "inbox.templates_sync"
CSAT_ASK = "inbox.csat_ask"
COMMENTS_FETCH = "inbox.comments_fetch"
POST_FETCH = "inbox.post_fetch"
COMMENT_AUTOMATION_RUN = "automation.run_for_comment"


def task_on_commit(name: str, *args, countdown: float | None = None) -> None:
    """Send the task once the current transaction commits (at once outside of one)."""
    transaction.on_commit(partial(task_send, name, *args, countdown=countdown))


def task_send(name: str, *args, countdown: float | None = None) -> bool:
    """Send the task now (for callers already past their commit: sweeps, tasks). False when
    the broker refused it; the caller's sweep will send it again."""
    try:
        task = _registered(name)
        if countdown:
            task.apply_async(args=args, countdown=countdown)
        else:
            task.apply_async(args=args)
        return True
    except Exception:
        log.warning("could not enqueue %s; the sweeper will retry", name, exc_info=True)
        return False


def _registered(name: str):
    """The task registered under ``name``. Looked up in the app's registry (not sent blindly
    with ``send_task``) so the in-process mode, which runs tasks eagerly, runs it too."""
    tasks = celery_app.tasks
    if name not in tasks:
        celery_app.autodiscover_tasks(force=True)  # import every app's tasks module now
    return tasks[name]


def live_hint(*, tenant_id: int, event: str, **ids: int | None) -> None:
    """After commit, tell the tenant's open inbox pages that something changed (ids only)."""
    data = {key: value for key, value in ids.items() if value is not None}
    transaction.on_commit(partial(_broadcast, tenant_id, event, data))


def _broadcast(tenant_id: int, event: str, data: dict) -> None:
    try:
        realtime.broadcast(tenant_id=tenant_id, event=event, data=data)
    except Exception:  # live updates are hints; the page catches up from the database
        log.warning("live update %s failed", event, exc_info=True)


def webhook_event(*, tenant, event_type: str, data: dict | Callable[[], dict]) -> None:
    """An outbound webhook event: its delivery rows are written now, in the caller's
    transaction (a crash after commit cannot lose it); the deliveries are sent on commit.
    ``data`` may be a function building it (from `inbox.outbound_webhooks.payloads`), then
    called only when somebody subscribed to the event."""
    for delivery_id in outbox.deliveries_record(tenant=tenant, event_type=event_type, data=data):
        task_on_commit(OUTBOUND_WEBHOOK_DELIVER, delivery_id)


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff for the ``attempts``-th retry: base, 2×base, 4×base, … at most
    ``cap``, with ±20 % jitter so retries of one outage do not arrive together."""
    delay = min(cap, base * 2 ** min(max(attempts - 1, 0), 32))
    return delay * random.uniform(0.8, 1.2)
