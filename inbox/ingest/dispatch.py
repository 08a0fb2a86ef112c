"""The request path's publish: a dispatcher thread hands stored event ids to Celery in small
batches, so a webhook request never waits for the broker.

Why a thread: one ``apply_async`` per webhook costs a broker round trip on the request thread;
batching a few milliseconds' worth of ids into one task halves the server's work per webhook
(``docs/benchmarks.md``). If the process dies between the INSERT and the publish, the sweeper
re-enqueues the pending event: the database, not the broker, is the truth.

Only for requests outside a transaction; inside one (tests, the simulator, ``seed_demo``) the
caller enqueues on commit instead.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time

from django.db import connections

from inbox import effects

log = logging.getLogger(__name__)

_lock = threading.Lock()
_dispatcher: _Dispatcher | None = None


def wake_workers(event_ids: list[int]) -> None:
    """Ask a worker to process pending events, unless a wake-up is already queued (a task
    claims every pending event fairly, not the ids it was sent: ``effects.COALESCED``)."""
    effects.task_send_once(effects.WEBHOOK_EVENTS_PROCESS, event_ids)


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
                wake_workers(batch)
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
