"""The inbox websocket: session-authenticated, tenant-scoped, visibility-scoped hints."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from inbox.realtime import tenant_group
from inbox.selectors.conversations import agent_restricted, visible_conversations
from tenants.access import membership_for
from tenants.permissions import has_perm

MAX_WATCH = 500


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Forwards the tenant's change hints to one open inbox page.

    When agents see only their own conversations, a hint about a conversation the agent may
    not see is dropped — unless the page was shown that conversation before (so it can
    notice that it left the agent's view); the page then re-fetches through the normal,
    visibility-checked endpoints.
    """

    async def connect(self):
        user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"].get("tenant_slug", "")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        access = await self._access(user, slug)
        if access is None:
            await self.close(code=4404)
            return
        self.tenant_id, self.restricted = access
        self.user_id = user.pk
        self.seen: set[int] = set()
        self.group = tenant_group(self.tenant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello"})

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"event": "pong"})
        elif kind == "watch" and self.restricted:
            # The conversations the page shows: it must hear when one leaves the agent's
            # view. Only ids the agent may see now are remembered.
            ids = [i for i in content.get("ids", [])[:MAX_WATCH] if isinstance(i, int)]
            self.seen |= await self._visible_ids(ids)

    async def inbox_hint(self, event):
        conversation_id = event.get("conversation_id")
        if self.restricted and conversation_id is not None:
            visible = await self._visible(conversation_id)
            if not visible and conversation_id not in self.seen:
                return
            if visible:
                self.seen.add(conversation_id)
        payload = {k: v for k, v in event.items() if k != "type"}
        await self.send_json(payload)

    @database_sync_to_async
    def _access(self, user, slug):
        membership = membership_for(user, slug)
        if membership is None or not has_perm(membership, "inbox.view"):
            return None
        self.membership = membership
        return membership.tenant_id, agent_restricted(
            tenant=membership.tenant, membership=membership
        )

    def _visible_conversations(self):
        """The same rule as every page and the API: `visible_conversations`."""
        return visible_conversations(
            tenant=self.membership.tenant, user=self.membership.user, membership=self.membership
        )

    @database_sync_to_async
    def _visible_ids(self, ids) -> set[int]:
        if not ids:
            return set()
        return set(self._visible_conversations().filter(pk__in=ids).values_list("pk", flat=True))

    @database_sync_to_async
    def _visible(self, conversation_id: int) -> bool:
        return self._visible_conversations().filter(pk=conversation_id).exists()
