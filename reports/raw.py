"""Reads of the raw inbox rows the reports are made of (conversations, their labels and
messages, the tenant's opening hours), shaped for `reports.facts`. Used by the rollups'
refresh and by the direct computation they are checked against."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT

from inbox.automation.engine import tenant_zone
from inbox.automation.models import BusinessHours, Holiday
from inbox.models import Conversation, CsatSurvey, Message
from tenants.models import Tenant

from .facts import ConversationInfo, Rating, Row, Schedule

# A conversation row's version: the transaction that last wrote it (PostgreSQL's xmin) and the
# row's updated_at (which tells two writes of one transaction apart).
ROW_VERSION = RawSQL(
    """"inbox_conversation"."xmin"::text || '/' || """
    """extract(epoch FROM "inbox_conversation"."updated_at")::text""",
    [],
)


def tenant_schedule(tenant_id: int) -> Schedule:
    tenant = Tenant.objects.only("timezone").get(pk=tenant_id)
    intervals = tuple(
        BusinessHours.objects.filter(tenant_id=tenant_id).values_list(
            "weekday", "opens_at", "closes_at"
        )
    )
    holidays = frozenset(Holiday.objects.filter(tenant_id=tenant_id).values_list("date", flat=True))
    return Schedule(zone=tenant_zone(tenant.timezone), intervals=intervals, holidays=holidays)


def conversation_infos(ids: Iterable[int]) -> dict[int, tuple[int, ConversationInfo]]:
    """(tenant id, ConversationInfo) of each conversation that still exists."""
    ids = list(ids)
    labels: dict[int, list[int]] = defaultdict(list)
    for conversation_id, label_id in Conversation.labels.through.objects.filter(
        conversation_id__in=ids
    ).values_list("conversation_id", "label_id"):
        labels[conversation_id].append(label_id)
    infos = {}
    for c in Conversation.objects.filter(pk__in=ids).annotate(version=ROW_VERSION).values(
        "id", "tenant_id", "created_at", "channel_id", "campaign_name", "campaign_id", "team_id",
        "assignee_id", "status", "version",
    ):  # fmt: skip
        infos[c["id"]] = (
            c["tenant_id"],
            ConversationInfo(
                id=c["id"],
                created_at=c["created_at"],
                channel_id=c["channel_id"],
                campaign=(c["campaign_name"] or c["campaign_id"] or "")[:200],
                team_id=c["team_id"] or 0,
                assignee_id=c["assignee_id"] or 0,
                label_ids=tuple(sorted(labels[c["id"]])),
                is_open=c["status"] != Conversation.Status.RESOLVED,
                source_version=c["version"],
            ),
        )
    return infos


def conversation_rows(ids: Iterable[int]) -> dict[int, list[Row]]:
    rows: dict[int, list[Row]] = defaultdict(list)
    query = (
        Message.objects.filter(conversation_id__in=list(ids))
        .exclude(kind=Message.Kind.NOTE)
        .annotate(status_change=KT("metadata__status"))
        .values_list(
            "conversation_id", "id", "created_at", "kind", "direction", "author_kind",
            "author_user_id", "status_change",
        )
    )  # fmt: skip
    for conversation_id, pk, at, kind, direction, author_kind, author, change in query:
        rows[conversation_id].append(
            Row(
                id=pk,
                at=at,
                kind=kind,
                direction=direction,
                author_kind=author_kind,
                author_id=author or 0,
                status_change=(change or "") if kind == Message.Kind.ACTIVITY else "",
            )
        )
    return rows


def conversation_ratings(ids: Iterable[int]) -> dict[int, list[Rating]]:
    """The satisfaction ratings (CSAT) customers gave in these conversations."""
    ratings: dict[int, list[Rating]] = defaultdict(list)
    query = CsatSurvey.objects.filter(
        conversation_id__in=list(ids),
        status=CsatSurvey.Status.RATED,
        rating__isnull=False,
        rated_at__isnull=False,
    ).values_list("conversation_id", "rated_at", "rating")
    for conversation_id, at, rating in query:
        ratings[conversation_id].append(Rating(at=at, rating=rating))
    return ratings
