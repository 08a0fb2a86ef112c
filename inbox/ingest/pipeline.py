"""The batch pipeline: pending webhook events claimed many at a time, fairly across accounts,
and processed in one transaction per batch.

- **Claim**: ``FOR UPDATE SKIP LOCKED`` on up to ``BATCH_SIZE`` pending events, taken
  round-robin across the accounts the payloads name (``WebhookEvent.account_id``): the first
  pending event of every account, then the second of every account, … So a shop's burst of
  thousands fills at most its share of each batch and another shop's message waits for one
  batch, not for the burst. Any number of worker processes, on any machine, claim from the same
  table without coordination: a locked event is skipped by the others.
- **Process**: in arrival order (so the messages of one conversation keep their order), each
  event in its own savepoint: a poisoned event rolls back alone, is counted as an attempt and
  left for the sweeper's single retries (``processing.webhook_event_process``); the batch goes
  on. The automation of each new message runs right after it, in the same transaction and its
  own savepoint (no task per message), and signal detection already runs inside
  ``message_receive``.
- **Per-tenant state** (rules, settings, TikTok Ads connection, CRM subscriptions, keyword
  versions) is read once per tenant and batch (``inbox.pass_memo``); the keyword automata stay
  cached in the process.
- **Effects** go through the door's processing pass (``inbox.effects.processing_pass``): sent
  once the batch commits, tasks deduplicated, live hints coalesced per tenant and conversation.

Two workers never write the same customer at once: a batch takes a transaction-scoped
advisory lock per customer (``pg_try_advisory_xact_lock``, never waited for) and leaves the
events of customers another batch holds pending for its next claim — so batches neither wait
for each other nor deadlock. Should a deadlock still happen (with the single-event path), the
event — not poisoned, only unlucky — is processed again, alone, right after its batch commits.
A failed automation run is queued as a task.

Exactly once holds as before: a crash (SIGKILL, a lost connection) rolls the whole batch back
and its events stay pending for the next claim; message and automation writes are idempotent
(``ON CONFLICT DO NOTHING`` on the provider message id; the ``MessageAutomation`` claim).
Events whose provider must be asked for customer names (a new Messenger customer) wait out the
batch: their names are asked after it commits, outside any transaction (a slow profile API must
not hold the batch's locks), then those events are processed together as a batch of their own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg import errors as pg_errors

from inbox import effects
from inbox.automation.services import (
    automation_claims_record,
    automation_may_act,
    automation_run_for_message,
    automation_run_for_messages,
)
from inbox.models import WebhookEvent
from inbox.pass_memo import memo_scope
from inbox.providers.base import ParsedBatch

from .batch_receive import events_receive, fast_eligible
from .processing import (
    MAX_PROCESSING_ATTEMPTS,
    parse_event,
    process_claimed,
    route,
    webhook_event_process,
)
from .profiles import (
    ProfileNames,
    profile_names_fetch,
    unknown_customers,
    with_profile_names,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 100
# The claim ranks at most this many of the oldest pending events (a bound on its cost when
# the backlog is huge; beyond it, older events go first).
CLAIM_WINDOW = 20_000
# One task drains batch after batch for at most this long, then yields the worker (a new task
# goes on, queued behind whatever waited meanwhile). At 10 s, under a steady 200 webhooks/s
# both worker processes drained non-stop and every other task of the queue — the automation of
# an event processed on its own, a signals send — waited 10–16 s (docs/reliability.md).
DRAIN_SECONDS = 1.0

# Two batches holding the same customers' rows in crossing orders: PostgreSQL picks a victim;
# its event is not poisoned, only unlucky.
TRANSIENT = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)

_CLAIM_SQL = """
WITH pending AS (
    SELECT id, row_number() OVER (PARTITION BY provider, account_id ORDER BY id) AS turn
    FROM inbox_webhookevent
    WHERE status = 'pending' AND attempts = 0
    ORDER BY id
    LIMIT %s
)
SELECT e.* FROM inbox_webhookevent e JOIN pending p ON p.id = e.id
WHERE e.status = 'pending'
ORDER BY p.turn, e.id
LIMIT %s
FOR UPDATE OF e SKIP LOCKED
"""


@dataclasses.dataclass
class BatchResult:
    claimed: int = 0
    processed: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0  # their customers were in another worker's batch: left for the next
    more_left: bool = False


def webhook_events_drain(
    *, batch_size: int = BATCH_SIZE, seconds: float = DRAIN_SECONDS
) -> BatchResult:
    """Process pending events batch after batch until fewer than a batch were left (or the
    time is up: the next task continues)."""
    total = BatchResult()
    deadline = time.monotonic() + seconds
    while True:
        result = webhook_events_process_batch(limit=batch_size)
        for field in dataclasses.fields(BatchResult):
            name = field.name
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if result.skipped and time.monotonic() < deadline:
            time.sleep(0.02)  # the other batch commits in a moment; then they are ours
            continue
        if result.claimed < batch_size:
            return total
        if time.monotonic() > deadline:
            total.more_left = True
            return total


def webhook_events_process_batch(
    *,
    event_ids: list[int] | None = None,
    limit: int = BATCH_SIZE,
    names: ProfileNames | None = None,
) -> BatchResult:
    """Claim and process one batch: the given pending events, or the fair next ``limit``.
    ``names``: the profile names looked up for these events' new customers (the batch's
    second pass, below)."""
    # One memo for the batch and its named pass: ms apart, the same tenants' rules and routes.
    with memo_scope():
        result, lookups, alone = _batch(event_ids, limit, names)
        if lookups:  # after the commit: the profile APIs are called without locks or transaction
            _named_pass(lookups, result)
    for event_id in alone:
        try:
            webhook_event_process(event_id=event_id)
        except Exception:  # recorded on the event; the sweeper retries it
            log.warning("webhook event %s failed; left for the sweeper", event_id)
    result.deferred = len(alone) + len(lookups)
    return result


def _batch(
    event_ids: list[int] | None, limit: int, names: ProfileNames | None
) -> tuple[BatchResult, dict[int, set], list[int]]:
    """One transaction: claim, store, automate. Returns the result, the events left for the
    named pass (their new customers' names to ask first) and those to process again alone."""
    result = BatchResult()
    alone: list[int] = []  # met another batch in a deadlock: processed again, alone
    lookups: dict[int, set] = {}  # new nameless customers: named first, then processed
    with transaction.atomic(), effects.processing_pass() as current:
        events = _claim(event_ids, limit)
        result.claimed = len(events)
        parsed = {event.pk: _parse(event) for event in events}  # once per event
        if names is not None:
            parsed = {pk: _named(batch, names) for pk, batch in parsed.items()}
        else:
            lookups = unknown_customers({e.pk: (e.provider, parsed[e.pk]) for e in events})
        keys = {event.pk: _customer_keys(event, parsed[event.pk]) for event in events}
        ours = _try_lock(set().union(*keys.values()))
        finished, quiet, ready = [], [], []
        for event in sorted(events, key=lambda e: e.pk):
            if not keys[event.pk] <= ours:
                result.skipped += 1
                continue
            if event.pk not in lookups:
                ready.append(event)
        lookups = {pk: customers for pk, customers in lookups.items() if keys[pk] <= ours}
        fast, slow = _split(ready, parsed, keys)
        if fast and _process_fast(fast, parsed, current, quiet):
            finished += fast
        else:
            slow = sorted(fast + slow, key=lambda e: e.pk)
        for event in slow:
            outcome = _process_one(event, current, quiet, parsed[event.pk])
            if outcome is True:
                finished.append(event)
            elif outcome is None:
                alone.append(event.pk)
            else:
                result.failed += 1
        if finished:
            _outcomes_write(finished)
        if quiet:
            automation_claims_record(quiet)
        result.processed = len(finished)
        current.register_on_commit()
    return result, lookups, alone


def _named_pass(lookups: dict[int, set], result: BatchResult) -> None:
    """The events whose new customers had no names: their names asked of the provider, then
    the events processed together as one batch (set-based, automation in the pass) — not one
    by one with a task each for their automation."""
    names = profile_names_fetch(set().union(*lookups.values()))
    second = webhook_events_process_batch(event_ids=sorted(lookups), names=names)
    result.processed += second.processed
    result.failed += second.failed


def _named(parsed: ParsedBatch | None, names: ProfileNames) -> ParsedBatch | None:
    return parsed if parsed is None else with_profile_names(parsed, names)


def _outcomes_write(events: list[WebhookEvent]) -> None:
    """The batch's finished events (``FINISH_FIELDS``) in one ``UPDATE … FROM unnest``."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE inbox_webhookevent e SET status = v.status, error = v.error,
                processed_at = v.processed_at, attempts = v.attempts,
                tenant_id = v.tenant_id, channel_id = v.channel_id
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::int[],
                        %s::bigint[], %s::bigint[])
                AS v(id, status, error, processed_at, attempts, tenant_id, channel_id)
            WHERE e.id = v.id
            """,
            [
                [e.pk for e in events],
                [e.status for e in events],
                [e.error for e in events],
                [e.processed_at for e in events],
                [e.attempts for e in events],
                [e.tenant_id for e in events],
                [e.channel_id for e in events],
            ],
        )


def _parse(event: WebhookEvent) -> ParsedBatch | None:
    try:
        return parse_event(event)
    except Exception:  # processing parses again and records the failure
        return None


def _customer_keys(event: WebhookEvent, parsed: ParsedBatch | None = None) -> set[int]:
    """The event's customers (provider, account, customer id) as advisory-lock keys."""
    parsed = parsed or _parse(event)
    if parsed is None:
        return set()
    keys = set()
    for item in parsed.items():
        customer = getattr(item, "contact_external_id", "")
        if customer:
            name = f"{event.provider}\x1f{item.account_id}\x1f{customer}".encode()
            digest = hashlib.blake2b(name, digest_size=8).digest()
            keys.add(int.from_bytes(digest, "big", signed=True))
    return keys


def _try_lock(keys: set[int]) -> set[int]:
    """The customers this batch may write: those no other batch holds (transaction-scoped
    advisory locks, never waited for). Two workers' batches then never hold the same customer's
    rows, so they neither wait for each other nor deadlock; an event whose customer another
    batch holds stays pending for the next claim."""
    if not keys:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k FROM unnest(%s::bigint[]) AS k WHERE pg_try_advisory_xact_lock(k)",
            [sorted(keys)],
        )
        return {row[0] for row in cursor.fetchall()}


def _claim(event_ids: list[int] | None, limit: int) -> list[WebhookEvent]:
    if event_ids is not None:
        return list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk__in=event_ids, status=WebhookEvent.Status.PENDING)
            .order_by("pk")[:limit]
        )
    return list(WebhookEvent.objects.raw(_CLAIM_SQL, [CLAIM_WINDOW, limit]))


def _split(events: list, parsed: dict, keys: dict) -> tuple[list, list]:
    """The events stored set-based (``batch_receive``) and those processed one by one: an
    event goes one by one when it is not plain customer messages of routed channels, and so
    do all the events of its customers (so one conversation's messages keep their order)."""
    fast = {e.pk for e in events if fast_eligible(parsed[e.pk]) and _routed(e, parsed[e.pk])}
    slow_keys: set[int] = set()
    for event in events:
        if event.pk not in fast:
            slow_keys |= keys[event.pk]
    changed = True
    while changed:  # an event sharing a customer with a slow one is slow, and so on
        changed = False
        for event in events:
            if event.pk in fast and keys[event.pk] & slow_keys:
                fast.discard(event.pk)
                slow_keys |= keys[event.pk]
                changed = True
    return [e for e in events if e.pk in fast], [e for e in events if e.pk not in fast]


def _routed(event: WebhookEvent, parsed: ParsedBatch) -> bool:
    channels = route(event.provider, parsed.account_ids)
    return all(account in channels for account in parsed.account_ids)


def _process_fast(fast: list, parsed: dict, current: effects.ProcessingPass, quiet: list) -> bool:
    """The plain customer messages of these events stored together, in one savepoint. False
    (nothing kept) when it failed: the caller then processes them one by one, so a poisoned
    event fails alone."""
    routed = [(e, parsed[e.pk], route(e.provider, parsed[e.pk].account_ids)) for e in fast]
    current.stage()
    try:
        with transaction.atomic():
            events_receive(routed)
    except Exception:
        current.drop()
        log.warning("set-based store of %s events failed; one by one", len(fast), exc_info=True)
        return False
    current.keep()
    _automate(current, quiet)
    return True


def _process_one(
    event: WebhookEvent, current: effects.ProcessingPass, quiet: list, parsed=None
) -> bool | None:
    """One event in its savepoint, then the automation of its new messages (``quiet``
    collects those no rule can act on: only their claims are written, with the batch's).
    True: done; False: failed (an attempt counted); None: it met another worker's batch in a
    deadlock, to be processed again right after this batch commits."""
    attempts_before = event.attempts
    current.stage()
    try:
        with transaction.atomic():
            process_claimed(event, parsed)
    except DatabaseError as exc:
        current.drop()
        if isinstance(exc.__cause__, TRANSIENT):
            log.info("webhook event %s met another batch (%s); again after this one", event.pk, exc)
            return None
        log.exception("webhook event %s failed to process", event.pk)
        _record_failure(event.pk, attempts_before, exc)
        return False
    except Exception as exc:
        current.drop()
        log.exception("webhook event %s failed to process", event.pk)
        _record_failure(event.pk, attempts_before, exc)
        return False
    current.keep()
    _automate(current, quiet)
    return True


def _automate(current: effects.ProcessingPass, quiet: list) -> None:
    """The automation of the messages just stored: set-based for the tenants whose rules only
    reply (``automation_run_for_messages``, one savepoint), the rest — and all of them when
    that failed — each in its savepoint."""
    acting = []
    for message in current.take_automation():
        try:
            if not automation_may_act(message):
                quiet.append(message)
                continue
        except Exception:  # e.g. the keyword cache unreadable: the full run decides
            log.warning("automation pre-check of message %s failed", message.pk, exc_info=True)
        acting.append(message)
    if not acting:
        return
    current.stage()
    try:
        with transaction.atomic():
            rest = automation_run_for_messages(acting)
    except Exception:  # one by one below: a poisoned message fails alone
        current.drop()
        log.warning("set-based automation of %s messages failed", len(acting), exc_info=True)
        rest = acting
    else:
        current.keep()
    for message in rest:
        current.stage()
        try:
            with transaction.atomic():
                automation_run_for_message(message_id=message.pk, message=message)
        except Exception:  # the message is stored: its automation runs again as a task
            current.drop()
            log.exception("automation of message %s failed; queued as a task", message.pk)
            current.stage()
            current.task(effects.AUTOMATION_RUN, (message.pk,), None)
            current.keep()
        else:
            current.keep()


def _record_failure(event_id: int, attempts_before: int, exc: Exception) -> None:
    """The event's failed attempt (its row is still ours: the batch holds its lock). Left
    pending, it is retried alone by the sweeper; after the last attempt it is failed."""
    attempts = attempts_before + 1
    values = {"attempts": attempts, "error": f"{type(exc).__name__}: {exc}"[:2000]}
    if attempts >= MAX_PROCESSING_ATTEMPTS:
        values.update(status=WebhookEvent.Status.FAILED, processed_at=timezone.now())
    WebhookEvent.objects.filter(pk=event_id).update(**values)
