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
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from django.core.cache import cache
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
PUSH_NOTIFY_MANY = "push.notify_new_messages"
PUSH_RETRY = "push.retry_subscription"
TEMPLATES_SYNC = "inbox.templates_sync"
CSAT_ASK = "inbox.csat_ask"
COMMENTS_FETCH = "inbox.comments_fetch"
POST_FETCH = "inbox.post_fetch"
COMMENT_AUTOMATION_RUN = "automation.run_for_comment"

# Tasks of which one queued copy is enough: it does all the work pending when it starts, so a
# second copy queued behind one not yet started would find nothing but a pass that finds
# nothing. The value: how many leading arguments tell copies apart (a signals send per tenant;
# one processing wake-up for all, whatever event ids it carries). At 200 webhooks/s the web
# processes sent ~100 wake-ups a second and the processing passes ~9 signals sends, most of
# them finding nothing while the tasks behind them waited (docs/reliability.md). The flag is
# taken when the task starts (``task_started``) and expires on its own, so a lost task delays
# the next by at most QUEUED_TTL (the sweeps still run).
COALESCED = {WEBHOOK_EVENTS_PROCESS: 0, SIGNALS_SEND: 1}
QUEUED_TTL = 3


def task_on_commit(name: str, *args, countdown: float | None = None) -> None:
    """Send the task once the current transaction commits (at once outside of one)."""
    current = _current_pass()
    if current is not None:
        current.task(name, args, countdown)
        return
    transaction.on_commit(partial(task_send_once, name, *args, countdown=countdown))


def task_send_once(name: str, *args, countdown: float | None = None) -> bool:
    """``task_send``, except that a ``COALESCED`` task is not sent while a copy of it is
    queued and not started yet."""
    if name in COALESCED and not countdown:
        try:
            if not cache.add(_queued_key(name, args), 1, timeout=QUEUED_TTL):
                return True
        except Exception:  # the cache unreachable: send anyway (the broker may be too)
            log.warning("queued flag of %s not readable; sending", name, exc_info=True)
    return task_send(name, *args, countdown=countdown)


def task_started(name: str, *args) -> None:
    """A ``COALESCED`` task started (with these arguments): the work stored from now on needs
    a copy of its own."""
    try:
        cache.delete(_queued_key(name, args))
    except Exception:  # expires on its own
        log.warning("queued flag of %s not cleared", name, exc_info=True)


def _queued_key(name: str, args: tuple) -> str:
    return "effects:queued:" + ":".join([name, *map(str, args[: COALESCED[name]])])


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
    current = _current_pass()
    if current is not None:
        current.hint(tenant_id, event, data)
        return
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


def webhook_events(*, tenant, event_type: str, datas: list[dict]) -> None:
    """Many outbound webhook events of one type, written together (one query, one INSERT)."""
    for delivery_id in outbox.deliveries_record_many(
        tenant=tenant, event_type=event_type, datas=datas
    ):
        task_on_commit(OUTBOUND_WEBHOOK_DELIVER, delivery_id)


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff for the ``attempts``-th retry: base, 2×base, 4×base, … at most
    ``cap``, with ±20 % jitter so retries of one outage do not arrive together."""
    delay = min(cap, base * 2 ** min(max(attempts - 1, 0), 32))
    return delay * random.uniform(0.8, 1.2)


# --- a processing pass ----------------------------------------------------------------------
# Many webhook events processed in one transaction (inbox/ingest/pipeline.py). Within a pass,
# the door collects instead of registering one on-commit callback per call: each event's
# effects are staged and kept only when the event's savepoint committed (a poisoned event's
# are dropped with its rows); a task asked for twice (the signals send of one tenant) is sent
# once; live hints are coalesced to one per tenant, event and conversation (the page re-reads
# the conversation, so the last message id is enough); the automation of the pass's messages
# runs in the pass itself instead of one task per message.

_local = threading.local()


class ProcessingPass:
    def __init__(self) -> None:
        self.tasks: dict[tuple, None] = {}
        self.hints: dict[tuple, tuple[int, str, dict]] = {}
        self.messages: list = []  # just stored: their automation runs in the pass
        self._staged: tuple[list, list, list] | None = None

    def stage(self) -> None:
        """Start collecting one unit's effects (an event, an automation run)."""
        self._staged = ([], [], [])

    def keep(self) -> None:
        tasks, hints, automation = self._staged or ([], [], [])
        for key in tasks:
            self.tasks.setdefault(key, None)
        for tenant_id, event, data in hints:
            key = (tenant_id, event, data.get("conversation_id"), data.get("comment_id"))
            self.hints.pop(key, None)  # the last one wins and goes to the end
            self.hints[key] = (tenant_id, event, data)
        self.messages += automation
        self._staged = None

    def drop(self) -> None:
        self._staged = None

    def task(self, name: str, args: tuple, countdown: float | None) -> None:
        self._bucket()[0].append((name, args, countdown))

    def automation(self, message) -> None:
        self._bucket()[2].append(message)

    def hint(self, tenant_id: int, event: str, data: dict) -> None:
        self._bucket()[1].append((tenant_id, event, data))

    def take_automation(self) -> list:
        messages, self.messages = self.messages, []
        return messages

    def _bucket(self) -> tuple[list, list, list]:
        if self._staged is None:  # outside any unit: kept with the pass
            self.stage()
        return self._staged

    def register_on_commit(self) -> None:
        """Hand everything kept to the transaction's commit (nothing is sent on rollback)."""
        self.keep()
        tasks, self.tasks = list(self.tasks), {}
        # One push task for the pass's new messages, not one per message.
        pushes = [args[0] for name, args, countdown in tasks if name == PUSH_NOTIFY]
        tasks = [task for task in tasks if task[0] != PUSH_NOTIFY]
        if pushes:
            tasks.append((PUSH_NOTIFY_MANY, (pushes,), None))
        hints, self.hints = list(self.hints.values()), {}
        if tasks or hints:
            transaction.on_commit(partial(_pass_send, tasks, hints))


def automation_run(message) -> None:
    """The auto-reply rules, for an inbound message just stored: within a processing pass,
    right after its event, in the same transaction; otherwise a task once this one commits."""
    current = _current_pass()
    if current is not None:
        current.automation(message)
        return
    task_on_commit(AUTOMATION_RUN, message.pk)


def _pass_send(tasks: list[tuple], hints: list[tuple[int, str, dict]]) -> None:
    for name, args, countdown in tasks:
        task_send_once(name, *args, countdown=countdown)
    realtime.broadcast_many(hints)  # hints: it logs what it could not send, never raises


def _current_pass() -> ProcessingPass | None:
    return getattr(_local, "current", None)


@contextmanager
def processing_pass() -> Iterator[ProcessingPass]:
    """Collect the effects of a pass (see above); the caller runs ``register_on_commit``
    inside its transaction when the pass's work is done."""
    if _current_pass() is not None:
        raise RuntimeError("processing passes do not nest")
    current = ProcessingPass()
    _local.current = current
    try:
        yield current
    finally:
        _local.current = None
