"""Live hints through the Redis channel layer, as in production: sent from sync code (a
worker's processing pass) on the process's one layer loop, received by a consumer's channel."""

from __future__ import annotations

import os

import pytest
from asgiref.sync import async_to_sync

from inbox import realtime
from tests.requirements import missing


@pytest.fixture
def redis_layer(monkeypatch):
    url = os.environ.get("REDIS_URL", "")
    if not url:
        missing("REDIS_URL is not set")
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[url], prefix=f"test-live-{os.getpid()}")
    try:
        async_to_sync(layer.flush)()
    except OSError as exc:
        missing(f"Redis at {url} does not answer: {exc}")
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    yield layer
    realtime._run(layer, layer.flush)  # on the loop that holds the layer's connections


def test_pass_hints_and_single_hints_reach_the_tenants_group(redis_layer):
    async def subscribe():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add(realtime.tenant_group(7), channel)
        return channel

    channel = async_to_sync(subscribe)()
    realtime.broadcast_many(
        [
            (7, "message.created", {"id": 11, "conversation_id": 3, "text": "never sent"}),
            (8, "message.created", {"id": 12, "conversation_id": 4}),  # another tenant
        ]
    )
    realtime.broadcast(tenant_id=7, event="conversation.updated", data={"id": 3})

    async def receive_two():
        return [await redis_layer.receive(channel) for _ in range(2)]

    received = async_to_sync(receive_two)()
    assert received == [
        {"type": "inbox.hint", "event": "message.created", "conversation_id": 3, "message_id": 11},
        {"type": "inbox.hint", "event": "conversation.updated", "conversation_id": 3},
    ]
