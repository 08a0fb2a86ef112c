"""Counts beside the pre-filters, cheap at 100,000 open conversations.

Every count is capped: `SELECT count(*) FROM (SELECT 1 ... LIMIT cap)` stops after `cap`
index entries, so a count costs at most `cap` index reads whatever the size of the inbox,
and shows "999+" beyond. All counts of the sidebar come back in ONE query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.formats import number_format

from inbox.selectors.conversations import (
    ConversationFilters,
    apply_filters,
    unanswered_comments,
    unread_condition,
    visible_conversations,
)

COUNT_CAP = 999


@dataclass(frozen=True)
class CappedCount:
    value: int
    cap: int = COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.value > self.cap

    def __str__(self) -> str:
        """Grouped as the active language writes numbers ('999+', '1,204' / '1.204')."""
        if self.capped:
            return f"{number_format(self.cap, force_grouping=True)}+"
        return number_format(self.value, force_grouping=True)


def capped_counts(
    querysets: dict, cap: int = COUNT_CAP, *, ordered: bool = True
) -> dict[str, CappedCount]:
    """{name: queryset} → {name: CappedCount}, in a single SQL statement.

    `ordered`: order each capped subquery like the list (newest first). Measured at 100k
    conversations: with it the planner walks the tenant-first (tenant, status, time)
    indexes and stops after `cap` rows (unread: 36 → 6 ms, no global pkey scan across
    tenants); with a label filter the unordered semi-join from the label index is faster
    (10 vs 30 ms), so label counts run unordered."""
    if not querysets:
        return {}
    parts, params = [], []
    for qs in querysets.values():
        # Ordered like the list, so the planner walks the same tenant-first indexes and
        # stops after cap + 1 rows instead of scanning a global index.
        qs = qs.order_by("-last_message_at", "-id") if ordered else qs.order_by()
        limited = qs.values("pk")[: cap + 1]
        sql, qparams = limited.query.sql_with_params()
        # `sql` is Django-compiled with placeholders; values travel in params.
        parts.append(f"(SELECT count(*) FROM ({sql}) AS c)")  # noqa: S608
        params.extend(qparams)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        values = cursor.fetchone()
    return {name: CappedCount(value, cap) for name, value in zip(querysets, values, strict=True)}


def sidebar_counts(*, tenant, user, membership, filters: ConversationFilters, team_ids=()) -> dict:
    """Counts for each status (with the current other filters) and each assignee choice
    (with the current status), plus unread and each team queue in `team_ids` (with the
    current other filters) — the numbers beside the filter links."""
    base = visible_conversations(tenant=tenant, user=user, membership=membership)

    def count_for(**changes):
        return apply_filters(base, tenant=tenant, user=user, filters=filters.replace(**changes))

    if filters.label_ids:
        return _label_counts(base, tenant=tenant, user=user, filters=filters, team_ids=team_ids)
    querysets = {f"status:{s}": count_for(status=s) for s in ("open", "pending", "snoozed")}
    for assignee in ("me", "unassigned", "all"):
        querysets[f"assignee:{assignee}"] = count_for(assignee=assignee)
    querysets["unread"] = count_for(unread_only=True)
    for team_id in team_ids:
        querysets[f"team:{team_id}"] = count_for(team=str(team_id))
    querysets["kind:comments"] = count_for(kind="comments")
    querysets["kind:messages"] = count_for(kind="messages")
    querysets["unanswered:1"] = count_for(unanswered=True)
    return capped_counts(querysets)


def _status_q(status: str) -> Q:
    return Q() if status == "all" else Q(status=status)


def _assignee_q(assignee: str, user) -> Q:
    if assignee == "me":
        return Q(assignee=user)
    if assignee == "unassigned":
        return Q(assignee__isnull=True)
    if assignee == "all":
        return Q()
    return Q(assignee_id=int(assignee))


def _team_q(team: str) -> Q:
    if not team:
        return Q()
    if team == "none":
        return Q(team__isnull=True)
    return Q(team_id=int(team))


def _label_counts(base, *, tenant, user, filters: ConversationFilters, team_ids=()) -> dict:
    """With a label filter: one pass over the label's conversations with conditional
    counts (measured at 100k conversations: ~15 ms, against ~100 ms for seven capped
    subqueries that each rebuild the label's hash). Bounded by the label's size."""
    rest = apply_filters(
        base,
        tenant=tenant,
        user=user,
        filters=filters.replace(
            status="all",
            assignee="all",
            unread_only=False,
            team="",
            kind="",
            unanswered=False,
        ),
    )
    team_now = _team_q(filters.team)
    kind_now = Q(kind=filters.kind) if filters.kind else Q()
    if filters.unanswered:
        kind_now &= Exists(unanswered_comments().filter(conversation_id=OuterRef("pk")))
    status_now = _status_q(filters.status)
    assignee_now = _assignee_q(filters.assignee, user)
    unread_now = (unread_condition(user) if filters.unread_only else Q()) & team_now
    aggregates = {}
    for s in ("open", "pending", "snoozed"):
        aggregates[f"status:{s}"] = Count(
            "pk", filter=Q(status=s) & assignee_now & unread_now & kind_now
        )
    for a in ("me", "unassigned", "all"):
        aggregates[f"assignee:{a}"] = Count(
            "pk", filter=status_now & _assignee_q(a, user) & unread_now & kind_now
        )
    aggregates["unread"] = Count(
        "pk", filter=status_now & assignee_now & unread_condition(user) & team_now & kind_now
    )
    unread_only = unread_condition(user) if filters.unread_only else Q()
    for team_id in team_ids:
        aggregates[f"team:{team_id}"] = Count(
            "pk", filter=status_now & assignee_now & unread_only & Q(team_id=team_id) & kind_now
        )
    for kind in ("comments", "messages"):
        aggregates[f"kind:{kind}"] = Count(
            "pk", filter=status_now & assignee_now & unread_now & Q(kind=kind)
        )
    aggregates["unanswered:1"] = Count(
        "pk",
        filter=status_now
        & assignee_now
        & unread_now
        & (Q(kind=filters.kind) if filters.kind else Q())
        & Exists(unanswered_comments().filter(conversation_id=OuterRef("pk"))),
    )
    values = rest.order_by().aggregate(**{k.replace(":", "__"): v for k, v in aggregates.items()})
    return {k: CappedCount(values[k.replace(":", "__")]) for k in aggregates}
