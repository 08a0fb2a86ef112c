"""Reads of the reports, from the rollups only (never the messages table): the figures of a
period, a breakdown by agent, team, channel, label or campaign, the volume series, the day × hour
heatmap and the response-time distribution. Definitions: docs/reports.md."""

from __future__ import annotations

from django.db.models import Aggregate, Count, F, FloatField, Func, Q, Sum
from django.db.models.functions import (
    Coalesce,
)

from .figures import RESPONSE_BINS, Figures, Scope, ratio
from .models import ReportBucket, ReportConversation, ReportResolution, ReportTotal
from .periods import Period

DIMENSIONS = ("agent", "team", "channel", "label", "campaign")


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _in(period: Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start_dt, f"{field}__lt": period.end_dt})


def _buckets(tenant, period: Period, scope: Scope):
    query = ReportBucket.objects.for_tenant(tenant).filter(_in(period, "bucket"))
    if scope.agent_id is not None:
        query = query.filter(agent_id=scope.agent_id)
    return query


def _totals(tenant, period: Period, scope: Scope):
    """The counters summed over their dimensions: ReportTotal for everybody (few rows), the
    agent's own ReportBucket rows otherwise."""
    if scope.agent_id is not None:
        return _buckets(tenant, period, scope)
    return ReportTotal.objects.for_tenant(tenant).filter(_in(period, "bucket"))


def _first_responses(tenant, period: Period, scope: Scope):
    query = ReportConversation.objects.for_tenant(tenant).filter(_in(period, "first_response_at"))
    if scope.agent_id is not None:
        query = query.filter(responder_id=scope.agent_id)
    return query


def _resolutions(tenant, period: Period, scope: Scope):
    query = ReportResolution.objects.for_tenant(tenant).filter(_in(period, "resolved_at"))
    if scope.agent_id is not None:
        query = query.filter(resolver_id=scope.agent_id)
    return query


def _still_open(tenant, period: Period, scope: Scope):
    query = ReportConversation.objects.for_tenant(tenant).filter(
        _in(period, "created_at"), is_open=True
    )
    if scope.agent_id is not None:
        query = query.filter(assignee_id=scope.agent_id)
    return query


def _response_field(scope: Scope) -> str:
    return "first_response_business_seconds" if scope.business_hours else "first_response_seconds"


def _resolution_field(scope: Scope) -> str:
    return "business_seconds" if scope.business_hours else "seconds"


def _counter_sums():
    return {
        "messages_in": Coalesce(Sum("messages_in"), 0),
        "messages_out": Coalesce(Sum("messages_out"), 0),
        "new": Coalesce(Sum("conversations_new"), 0),
        "resolved": Coalesce(Sum("resolutions"), 0),
    }


def _response_aggregates(scope: Scope):
    field = _response_field(scope)
    return {
        "first_response_median": Percentile(field, 0.5),
        "first_response_p90": Percentile(field, 0.9),
        "first_responses": Count("pk"),
    }


def _resolution_aggregates(scope: Scope):
    field = _resolution_field(scope)
    return {
        "resolution_median": Percentile(field, 0.5),
        "resolution_p90": Percentile(field, 0.9),
        "resolutions": Count("pk"),
        "replies": Coalesce(Sum("replies"), 0),
        "bot_handled": Count("pk", filter=Q(bot_handled=True)),
    }


def _figures(counters: dict, responses: dict, resolutions: dict, still_open: int) -> Figures:
    return Figures(
        new=counters.get("new", 0),
        resolved=counters.get("resolved", 0),
        open=still_open,
        messages_in=counters.get("messages_in", 0),
        messages_out=counters.get("messages_out", 0),
        first_response_median=responses.get("first_response_median"),
        first_response_p90=responses.get("first_response_p90"),
        first_responses=responses.get("first_responses", 0),
        resolution_median=resolutions.get("resolution_median"),
        resolution_p90=resolutions.get("resolution_p90"),
        replies_per_resolution=ratio(
            resolutions.get("replies", 0), resolutions.get("resolutions", 0)
        ),
        bot_handled_share=ratio(
            resolutions.get("bot_handled", 0), resolutions.get("resolutions", 0)
        ),
    )


def report_figures(tenant, period: Period, scope: Scope) -> Figures:
    return _figures(
        _totals(tenant, period, scope).aggregate(**_counter_sums()),
        _first_responses(tenant, period, scope).aggregate(**_response_aggregates(scope)),
        _resolutions(tenant, period, scope).aggregate(**_resolution_aggregates(scope)),
        _still_open(tenant, period, scope).count(),
    )


# --- breakdowns --------------------------------------------------------------------------

_GROUP = {  # dimension → (counter field, first-response field, resolution field, open field)
    "agent": ("agent_id", "responder_id", "resolver_id", "assignee_id"),
    "team": ("team_id", "team_id", "team_id", "team_id"),
    "channel": ("channel_id", "channel_id", "channel_id", "channel_id"),
    "campaign": ("campaign", "campaign", "campaign", "campaign"),
    "label": (None, "label", "label", "label"),
}


def _grouped(query, field: str, aggregates: dict) -> dict:
    if field == "label":
        query = query.annotate(label=Func(F("label_ids"), function="unnest"))
    return {row.pop(field): row for row in query.values(field).annotate(**aggregates).order_by()}


def report_breakdown(tenant, period: Period, scope: Scope, dimension: str) -> dict:
    """{key: Figures} for one dimension (agent id, channel id, label id or campaign name;
    0 or "" for none). Labels have no message counts (a message has no label)."""
    counter_field, response_field, resolution_field, open_field = _GROUP[dimension]
    if counter_field is None:
        new = _grouped(
            ReportConversation.objects.for_tenant(tenant).filter(_in(period, "created_at")),
            "label",
            {"new": Count("pk")},
        )
        resolved = _grouped(_resolutions(tenant, period, scope), "label", {"resolved": Count("pk")})
        counters = {k: new.get(k, {}) | resolved.get(k, {}) for k in set(new) | set(resolved)}
    else:
        counters = _grouped(_buckets(tenant, period, scope), counter_field, _counter_sums())
    responses = _grouped(
        _first_responses(tenant, period, scope), response_field, _response_aggregates(scope)
    )
    resolutions = _grouped(
        _resolutions(tenant, period, scope), resolution_field, _resolution_aggregates(scope)
    )
    still_open = {
        k: v["n"]
        for k, v in _grouped(
            _still_open(tenant, period, scope), open_field, {"n": Count("pk")}
        ).items()
    }
    keys = set(counters) | set(responses) | set(resolutions) | set(still_open)
    return {
        key: _figures(
            counters.get(key, {}),
            responses.get(key, {}),
            resolutions.get(key, {}),
            still_open.get(key, 0),
        )
        for key in keys
    }


# --- charts' data ------------------------------------------------------------------------


def per_bucket(tenant, period: Period, scope: Scope) -> list[dict]:
    """The period's counters summed per 15 minutes (at most 96 rows a day, whatever the
    number of channels, agents and campaigns): the charts group them by local time here."""
    query = _totals(tenant, period, scope).values("bucket").annotate(**_counter_sums())
    return list(query.order_by())


def volume_series(tenant, period: Period, scope: Scope, rows=None) -> list[dict]:
    """Per local day (per local hour for a one-day period): new conversations, messages in
    and out, resolutions; only the days or hours with something."""
    totals: dict = {}
    for row in rows if rows is not None else per_bucket(tenant, period, scope):
        row = dict(row)
        local = row.pop("bucket").astimezone(period.zone)
        key = local.replace(minute=0, second=0, microsecond=0) if period.days == 1 else local.date()
        into = totals.setdefault(key, {"at": key, "messages_in": 0, "messages_out": 0,
                                       "new": 0, "resolved": 0})  # fmt: skip
        for name, value in row.items():
            into[name] += value
    return [totals[k] for k in sorted(totals)]


def heatmap(tenant, period: Period, scope: Scope, rows=None) -> dict[tuple[int, int], int]:
    """Messages in per (ISO weekday 1–7, local hour 0–23)."""
    cells: dict[tuple[int, int], int] = {}
    for row in rows if rows is not None else per_bucket(tenant, period, scope):
        if row["messages_in"]:
            local = row["bucket"].astimezone(period.zone)
            key = (local.isoweekday(), local.hour)
            cells[key] = cells.get(key, 0) + row["messages_in"]
    return cells


def response_distribution(tenant, period: Period, scope: Scope) -> list[int]:
    """How many first responses fell in each of RESPONSE_BINS."""
    field = _response_field(scope)
    aggregates = {}
    low = 0
    for index, bound in enumerate(RESPONSE_BINS):
        condition = Q(**{f"{field}__gte": low})
        if bound is not None:
            condition &= Q(**{f"{field}__lt": bound})
            low = bound
        aggregates[f"b{index}"] = Count("pk", filter=condition)
    counts = _first_responses(tenant, period, scope).aggregate(**aggregates)
    return [counts[f"b{i}"] for i in range(len(RESPONSE_BINS))]
