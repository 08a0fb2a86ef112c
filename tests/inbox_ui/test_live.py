"""The inbox websocket: authenticated, tenant-scoped, visibility-scoped hints."""

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from inbox.realtime import broadcast, hint_for
from inbox.routing import websocket_urlpatterns
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _app():
    return URLRouter(websocket_urlpatterns)


async def _connect(user, slug):
    communicator = WebsocketCommunicator(_app(), f"/ws/t/{slug}/inbox/")
    communicator.scope["user"] = user
    connected, _code = await communicator.connect()
    return communicator, connected


def test_hints_carry_ids_only_never_text():
    hint = hint_for("message.created", {"id": 5, "conversation_id": 3, "text": "secret"})
    assert hint == {
        "type": "inbox.hint",
        "event": "message.created",
        "conversation_id": 3,
        "message_id": 5,
    }


def test_anonymous_and_strangers_are_refused(tenant_a, owner_b):
    async def run():
        _c, connected = await _connect(AnonymousUser(), tenant_a.slug)
        assert not connected
        _c, connected = await _connect(owner_b, tenant_a.slug)
        assert not connected

    async_to_sync(run)()


def test_a_member_gets_the_tenants_hints_only(tenant_a, tenant_b, agent_a):
    conv = ConversationFactory(tenant=tenant_a)
    other = ConversationFactory(tenant=tenant_b)

    async def run():
        communicator, connected = await _connect(agent_a, tenant_a.slug)
        assert connected
        assert (await communicator.receive_json_from())["event"] == "hello"
        from channels.db import database_sync_to_async

        await database_sync_to_async(broadcast)(
            tenant_id=tenant_b.pk, event="conversation.updated", data={"id": other.pk}
        )
        await database_sync_to_async(broadcast)(
            tenant_id=tenant_a.pk, event="conversation.updated", data={"id": conv.pk}
        )
        message = await communicator.receive_json_from(timeout=2)
        assert message == {"event": "conversation.updated", "conversation_id": conv.pk}
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()

    async_to_sync(run)()


def test_agents_who_see_only_their_own_get_no_hints_about_others(tenant_a, agent_a, admin_a):
    tenant_a.agents_see_all = False
    tenant_a.save()
    theirs = ConversationFactory(tenant=tenant_a, assignee=admin_a)
    mine = ConversationFactory(tenant=tenant_a, assignee=agent_a)

    async def run():
        communicator, connected = await _connect(agent_a, tenant_a.slug)
        assert connected
        await communicator.receive_json_from()
        from channels.db import database_sync_to_async

        await database_sync_to_async(broadcast)(
            tenant_id=tenant_a.pk, event="message.created", data={"conversation_id": theirs.pk}
        )
        await database_sync_to_async(broadcast)(
            tenant_id=tenant_a.pk, event="message.created", data={"conversation_id": mine.pk}
        )
        message = await communicator.receive_json_from(timeout=2)
        assert message["conversation_id"] == mine.pk
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_watched_conversation_leaving_the_agents_view_is_still_announced(
    tenant_a, agent_a, admin_a
):
    from inbox.models import Conversation

    tenant_a.agents_see_all = False
    tenant_a.save()
    free = ConversationFactory(tenant=tenant_a)
    hidden = ConversationFactory(tenant=tenant_a, assignee=admin_a)

    async def run():
        from channels.db import database_sync_to_async

        communicator, connected = await _connect(agent_a, tenant_a.slug)
        assert connected
        await communicator.receive_json_from()
        # The page shows `free`; it also claims `hidden`, which it may not see.
        await communicator.send_json_to({"type": "watch", "ids": [free.pk, hidden.pk]})
        await communicator.send_json_to({"type": "ping"})
        assert (await communicator.receive_json_from())["event"] == "pong"
        await database_sync_to_async(
            lambda: Conversation.objects.filter(pk=free.pk).update(assignee=admin_a)
        )()
        for conv in (hidden, free):
            await database_sync_to_async(broadcast)(
                tenant_id=tenant_a.pk, event="conversation.updated", data={"id": conv.pk}
            )
        message = await communicator.receive_json_from(timeout=2)
        assert message["conversation_id"] == free.pk
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()

    async_to_sync(run)()


def test_the_websocket_and_the_pages_apply_the_same_visibility_rule(
    tenant_a, agent_a, admin_a, client_for
):
    from datetime import timedelta

    from django.utils import timezone

    tenant_a.agents_see_all = False
    tenant_a.save()
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    # The hidden one is announced first: had it been forwarded, it would be among the hints read.
    hidden = ConversationFactory(tenant=tenant_a, assignee=admin_a)
    mine = ConversationFactory(tenant=tenant_a, assignee=agent_a)
    free = ConversationFactory(tenant=tenant_a, assignee=None)
    changes = client_for(agent_a).get(f"/t/{tenant_a.slug}/inbox/changes/", {"since": since}).json()
    seen_by_the_page = set(changes["conversation_ids"])

    async def hinted_ids():
        from channels.db import database_sync_to_async

        communicator, connected = await _connect(agent_a, tenant_a.slug)
        assert connected
        await communicator.receive_json_from()
        for conversation in (hidden, mine, free):
            await database_sync_to_async(broadcast)(
                tenant_id=tenant_a.pk, event="conversation.updated", data={"id": conversation.pk}
            )
        hinted = set()
        for _ in seen_by_the_page:
            hinted.add((await communicator.receive_json_from(timeout=2))["conversation_id"])
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()
        return hinted

    hinted = async_to_sync(hinted_ids)()
    assert seen_by_the_page == {mine.pk, free.pk}
    assert hinted == seen_by_the_page
