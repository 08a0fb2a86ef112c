"""The live view's reads, from the live tables (small, indexed): open conversations by
status, the unassigned ones waiting longest, who is online and how many conversations each
person has open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F
from django.utils import timezone

from inbox.models import Conversation
from inbox.selectors.conversations import visible_conversations
from tenants.models import Membership
from tenants.permissions import STAFF
from tenants.presence import members_online

OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)


@dataclass
class AgentLoad:
    user_id: int
    name: str
    online: bool
    open: int


def live_status_counts(membership, *, own_only: bool) -> list[tuple[str, str, int]]:
    query = visible_conversations(
        tenant=membership.tenant, user=membership.user, membership=membership
    ).filter(status__in=OPEN_STATUSES)
    if own_only:
        query = query.filter(assignee_id=membership.user_id)
    counts = dict(query.values_list("status").annotate(n=Count("pk")).order_by())
    return [(s.value, s.label, counts.get(s.value, 0)) for s in OPEN_STATUSES]


def live_waiting(membership, *, limit: int = 10, now: datetime | None = None) -> list[dict]:
    """Unassigned open conversations, the longest-waiting customer first."""
    now = now or timezone.now()
    rows = (
        visible_conversations(tenant=membership.tenant, user=membership.user, membership=membership)
        .filter(status=Conversation.Status.OPEN, assignee__isnull=True)
        .exclude(last_customer_message_at__isnull=True)
        .order_by(F("last_customer_message_at").asc(), "pk")
        .select_related("contact", "channel")[:limit]
    )
    return [
        {
            "conversation": c,
            "waiting_seconds": max(0.0, (now - c.last_customer_message_at).total_seconds()),
        }
        for c in rows
    ]


def live_agents(membership, *, own_only: bool) -> list[AgentLoad]:
    tenant = membership.tenant
    members = Membership.objects.for_tenant(tenant).filter(role__in=[r.value for r in STAFF])
    if own_only:
        members = members.filter(user_id=membership.user_id)
    members = list(members.select_related("user"))
    ids = [m.user_id for m in members]
    load = dict(
        Conversation.objects.for_tenant(tenant)
        .filter(assignee_id__in=ids, status__in=OPEN_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    online = members_online(tenant_id=tenant.pk, user_ids=ids)
    agents = [
        AgentLoad(m.user_id, m.user.get_full_name() or m.user.email, m.user_id in online,
                  load.get(m.user_id, 0))
        for m in members
    ]  # fmt: skip
    agents.sort(key=lambda a: (not a.online, -a.open, a.name.lower()))
    return agents
