"""Live updates to agents' browsers.

`broadcast` sends a small hint (event name and ids — never customer text) to the tenant's
Channels group; `inbox.consumers.InboxConsumer` forwards it to each open inbox page the
member may see. Pushes are hints: the channel layer drops messages when it is full, so the
page re-fetches what changed since the last moment it saw (`/inbox/changes/`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

SEND_TIMEOUT = 2.0


class _LayerLoop:
    """One event loop per process, in a thread of its own, where the Redis channel layer's
    sends run. ``async_to_sync`` from a worker starts a new loop per call, and the layer opens
    a new Redis connection pool per loop: ~2 ms of CPU per processing pass for an empty group
    (docs/reliability.md, "Where the CPU goes"); here the loop and its connections stay."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="live-hints", daemon=True).start()

    def run(self, coro) -> None:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            future.result(SEND_TIMEOUT)
        except TimeoutError:
            future.cancel()
            raise


_loop_lock = threading.Lock()
_layer_loop: _LayerLoop | None = None


def _run(layer, make) -> None:
    """Run ``make()`` (a coroutine) against ``layer``: on this process's layer loop for the
    Redis layer; through ``async_to_sync`` for any other (the in-memory layer of tests and
    of a Redis-less run keeps its queues on the caller's loops)."""
    global _layer_loop
    from channels_redis.core import RedisChannelLayer

    if not isinstance(layer, RedisChannelLayer):

        async def call() -> None:
            await make()

        async_to_sync(call)()
        return
    with _loop_lock:
        if _layer_loop is None or _layer_loop.pid != os.getpid():  # new after a fork
            _layer_loop = _LayerLoop()
        runner = _layer_loop
    runner.run(make())


HINT_KEYS = ("conversation_id", "message_id", "contact_id", "assignee_id")


def tenant_group(tenant_id: int) -> str:
    return f"inbox.tenant.{int(tenant_id)}"


def hint_for(event: str, data: dict) -> dict:
    """The ids of an event, nothing else."""
    data = data or {}
    hint = {"type": "inbox.hint", "event": str(event)}
    for key in HINT_KEYS:
        value = data.get(key)
        if value is None and key == "conversation_id" and event.startswith("conversation."):
            value = data.get("id")
        if value is None and key == "message_id" and event.startswith("message."):
            value = data.get("id")
        if value is None and key == "contact_id" and event.startswith("contact."):
            value = data.get("id")
        if isinstance(value, int):
            hint[key] = value
    return hint


def broadcast(*, tenant_id: int, event: str, data: dict) -> None:
    """Tell the tenant's open inbox pages that something changed (call after commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        _run(layer, lambda: layer.group_send(tenant_group(tenant_id), hint_for(event, data)))
    except Exception:  # a full or unreachable layer: the pages catch up from the database
        log.warning("live update %s not sent", event, exc_info=True)


def broadcast_many(hints: list[tuple[int, str, dict]]) -> None:
    """``broadcast`` for a processing pass's hints (tenant id, event, ids), in one trip into
    the channel layer's event loop instead of one per hint."""
    layer = get_channel_layer()
    if layer is None or not hints:
        return

    async def send_all() -> None:
        for tenant_id, event, data in hints:
            try:
                await layer.group_send(tenant_group(tenant_id), hint_for(event, data))
            except Exception:  # a full or unreachable layer: the pages catch up
                log.warning("live update %s not sent", event, exc_info=True)

    try:
        _run(layer, send_all)
    except Exception:
        log.warning("live updates of a pass not sent", exc_info=True)
