"""Live updates to agents' browsers.

`broadcast` sends a small hint (event name and ids — never customer text) to the tenant's
Channels group; `inbox.consumers.InboxConsumer` forwards it to each open inbox page the
member may see. Pushes are hints: the channel layer drops messages when it is full, so the
page re-fetches what changed since the last moment it saw (`/inbox/changes/`).
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

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
        async_to_sync(layer.group_send)(tenant_group(tenant_id), hint_for(event, data))
    except Exception:  # a full or unreachable layer: the pages catch up from the database
        log.warning("live update %s not sent", event, exc_info=True)


def broadcast_many(hints: list[tuple[int, str, dict]]) -> None:
    """``broadcast`` for a processing pass's hints (tenant id, event, ids), in one trip into
    the channel layer's event loop instead of one per hint (each ``async_to_sync`` call starts
    a loop and the layer a connection for it: milliseconds per hint)."""
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
        async_to_sync(send_all)()
    except Exception:
        log.warning("live updates of a pass not sent", exc_info=True)
