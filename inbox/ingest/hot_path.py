"""The webhook ingest hot path: a per-process pool of autocommit connections for its single
INSERT, and a dispatcher thread that hands stored event ids to Celery in small batches.

Why: under ASGI, Django runs each sync request in a fresh thread, so it cannot keep persistent
connections — every webhook would pay a new PostgreSQL backend (a fork), the dominant cost of
ingest. Django 5.1's ``OPTIONS={"pool": True}`` needs ``psycopg_pool``, which is not installed;
until it is, this pool serves the one statement of the hot path. Publishing to the broker is
batched off the request thread: if the process dies between the INSERT and the publish, the
sweeper re-enqueues the pending event (the database, not the broker, is the truth).

The hot path is used only outside a transaction (a request). Inside one (tests, the simulator,
seed_demo) the caller's Django connection is used so the insert joins that transaction.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connections
from psycopg.types.json import Jsonb

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pools: dict[str, _Pool] = {}
_dispatcher: _Dispatcher | None = None

INSERT_EVENT = (
    "INSERT INTO inbox_webhookevent (provider, received_at, headers, body, dedup_key, status,"
    " error, attempts, processed_at, tenant_id, channel_id)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, 0, NULL, NULL, NULL)"
    " ON CONFLICT DO NOTHING RETURNING id"
)


class _Pool:
    def __init__(self, params: dict, size: int):
        self.params = params
        self.size = size
        self.idle: queue.LifoQueue = queue.LifoQueue()
        self.created = 0
        self.lock = threading.Lock()

    @contextmanager
    def connection(self):
        try:
            conn = self.idle.get_nowait()
        except queue.Empty:
            with self.lock:
                grow = self.created < self.size
                if grow:
                    self.created += 1
            if grow:
                try:
                    conn = psycopg.connect(**self.params, autocommit=True)
                except Exception:
                    with self.lock:
                        self.created -= 1
                    raise
            else:
                conn = self.idle.get(timeout=10)
        try:
            yield conn
        except psycopg.Error:
            conn.close()
            with self.lock:
                self.created -= 1
            raise
        else:
            if conn.closed:
                with self.lock:
                    self.created -= 1
            else:
                self.idle.put(conn)

    def close(self):
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                break
        with self.lock:
            self.created = 0


def pool_enabled() -> bool:
    if settings.WEBHOOK_INGEST_POOL_SIZE <= 0:
        return False
    # Without creating a DatabaseWrapper for this (fresh) thread: if the thread has no Django
    # connection yet, it cannot be inside a transaction.
    existing = getattr(connections._connections, "default", None)
    return existing is None or not existing.in_atomic_block


def _params() -> tuple[str, dict]:
    db = settings.DATABASES["default"]
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "connect_timeout": (db.get("OPTIONS") or {}).get("connect_timeout", 5),
    }
    params = {k: v for k, v in params.items() if v is not None}
    return repr(sorted(params.items())), params


def pool() -> _Pool:
    key, params = _params()
    with _lock:
        found = _pools.get(key)
        if found is None:
            size = settings.WEBHOOK_INGEST_POOL_SIZE
            found = _pools[key] = _Pool(params, size)
        return found


def insert_event(*, provider, received_at, headers, body, dedup_key, status, error) -> int | None:
    params = (provider, received_at, Jsonb(headers), body, dedup_key, status, error)
    for attempt in (1, 2):
        try:
            with pool().connection() as conn, conn.cursor() as cursor:
                cursor.execute(INSERT_EVENT, params)
                row = cursor.fetchone()
            return row[0] if row else None
        except psycopg.OperationalError:
            # A pooled connection that died with a database restart: the pool dropped it;
            # retry once on a fresh one (the INSERT is idempotent through the dedup key).
            if attempt == 2:
                raise
    return None


class _Dispatcher:
    """Collects event ids for a few milliseconds and enqueues them as one task."""

    WINDOW = 0.02
    MAX_BATCH = 100

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="webhook-dispatch", daemon=True)
        self.thread.start()

    def submit(self, event_id: int) -> None:
        self.queue.put(event_id)

    def _run(self) -> None:
        from inbox.services import events
        from inbox.tasks import webhook_events_process_task

        while True:
            batch = [self.queue.get()]
            deadline = time.monotonic() + self.WINDOW
            while len(batch) < self.MAX_BATCH:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self.queue.get(timeout=remaining))
                except queue.Empty:
                    break
            try:
                events.enqueue(webhook_events_process_task, batch)
            except Exception:  # never let the thread die; the sweeper has the events
                log.exception("dispatching %d webhook events failed", len(batch))
            finally:
                connections.close_all()  # eager mode processes here


def dispatch(event_id: int) -> None:
    global _dispatcher
    with _lock:
        if _dispatcher is None or _dispatcher.pid != os.getpid():
            _dispatcher = _Dispatcher()
        dispatcher = _dispatcher
    dispatcher.submit(event_id)


def close_all() -> None:
    with _lock:
        for p in _pools.values():
            p.close()
        _pools.clear()
