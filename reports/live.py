"""The live view's reads, from the live tables: open conversations by status, the unassigned
ones waiting longest, who is online and how many conversations each person has open.

Each read is bounded, whatever the number of conversations: the counts stop at a cap (shown
as "1000+", "100+") and are index-only scans of at most that many entries; the waiting list is
an ordered scan of the partial index `conv_tenant_waiting` with LIMIT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F
from django.utils import timezone

from inbox.models import Conversation
from inbox.selectors.conversations import visible_conversations
from tenants.models import Membership
from tenants.permissions import STAFF
from tenants.presence import members_online

OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)
STATUS_COUNT_CAP = 1000  # a status with more open conversations shows "1000+"
AGENT_LOAD_CAP = 100  # an agent with more open conversations shows "100+"


@dataclass
class AgentLoad:
    user_id: int
    name: str
    online: bool
    open: int  # at most AGENT_LOAD_CAP
    capped: bool = False  # more than AGENT_LOAD_CAP: shown as "100+"


def live_status_counts(membership, *, own_only: bool) -> list[tuple[str, str, int, bool]]:
    """(status, label, count, capped) per open status; a count stops at STATUS_COUNT_CAP
    (capped True: there are more), so the read is bounded however large the backlog."""
    query = visible_conversations(
        tenant=membership.tenant, user=membership.user, membership=membership
    )
    if own_only:
        query = query.filter(assignee_id=membership.user_id)
    counts = []
    for status in OPEN_STATUSES:
        n = query.filter(status=status).order_by().values("pk")[: STATUS_COUNT_CAP + 1].count()
        capped = n > STATUS_COUNT_CAP
        counts.append((status.value, status.label, min(n, STATUS_COUNT_CAP), capped))
    return counts


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
    load = _agent_loads(tenant.pk, ids)
    online = members_online(tenant_id=tenant.pk, user_ids=ids)
    agents = [
        AgentLoad(m.user_id, m.user.get_full_name() or m.user.email, m.user_id in online,
                  min(load[m.user_id], AGENT_LOAD_CAP), load[m.user_id] > AGENT_LOAD_CAP)
        for m in members
    ]  # fmt: skip
    agents.sort(key=lambda a: (not a.online, -a.open, a.name.lower()))
    return agents


_AGENT_LOADS = """
SELECT a.id, (
    SELECT count(*) FROM (
        SELECT 1 FROM inbox_conversation c
        WHERE c.tenant_id = %s AND c.assignee_id = a.id AND c.status = ANY(%s)
        LIMIT %s
    ) AS capped
)
FROM unnest(%s::bigint[]) AS a(id)
"""


def _agent_loads(tenant_id: int, user_ids: list[int]) -> dict[int, int]:
    """{user id: open conversations assigned to them, counted up to AGENT_LOAD_CAP + 1}: per
    agent an index-only scan of `conv_tenant_assignee` that stops there."""
    if not user_ids:
        return {}
    statuses = [s.value for s in OPEN_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(_AGENT_LOADS, [tenant_id, statuses, AGENT_LOAD_CAP + 1, user_ids])
        return {user_id: n for user_id, n in cursor.fetchall()}
