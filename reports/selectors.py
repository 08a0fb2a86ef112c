"""Reads of the reports, from the rollups only (never the messages table): the figures of a
period and its breakdowns by agent, team, channel, label or campaign from the per-day rows
(ReportDay: one per day and key, percentiles from their merged histograms); the volume
series and the day × hour heatmap from the 15-minute counters; the response-time
distribution. Definitions: docs/reports.md."""

from __future__ import annotations

from array import array
from datetime import timedelta
from operator import add

import psycopg
from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncHour,
)

from .facts import AGENT_PREFIX, ALL, DAY_COUNTERS, WEEK_PREFIX, week_start
from .figures import RESPONSE_BINS, Figures, Scope, ratio, response_bin
from .histogram import bin_low, dense_percentiles, stored_dense, stored_total
from .models import ReportBucket, ReportDay, ReportTotal
from .periods import Period

DIMENSIONS = ("agent", "team", "channel", "label", "campaign")


def _in(period: Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start_dt, f"{field}__lt": period.end_dt})


def _totals(tenant, period: Period, scope: Scope):
    """The 15-minute counters summed over their dimensions: ReportTotal for everybody (≤ 96
    rows a day), the agent's own ReportBucket rows otherwise."""
    if scope.agent_id is not None:
        query = ReportBucket.objects.for_tenant(tenant).filter(_in(period, "bucket"))
        return query.filter(agent_id=scope.agent_id)
    return ReportTotal.objects.for_tenant(tenant).filter(_in(period, "bucket"))


def _counter_sums():
    return {
        "messages_in": Coalesce(Sum("messages_in"), 0),
        "messages_out": Coalesce(Sum("messages_out"), 0),
        "new": Coalesce(Sum("conversations_new"), 0),
        "resolved": Coalesce(Sum("resolutions"), 0),
    }


# --- figures and breakdowns, from ReportDay -----------------------------------------------


def _days(tenant, period: Period, dimension: str, key: str | None = None):
    """The period's ReportDay rows of one dimension (of one key): a week row (Monday to
    Sunday, dimension "w.<dimension>") for each whole local week in the period, a day row for
    each day around them — a 30-day period reads 6 to 12 rows per key, not 30."""
    first_monday = week_start(period.start + timedelta(days=6))  # the start, or the next Monday
    last_sunday = week_start(period.end + timedelta(days=1)) - timedelta(days=1)
    if first_monday < last_sunday:
        rows = (
            Q(dimension=dimension, day__gte=period.start, day__lt=first_monday)
            | Q(dimension=WEEK_PREFIX + dimension, day__gte=first_monday, day__lt=last_sunday)
            | Q(dimension=dimension, day__gt=last_sunday, day__lte=period.end)
        )
    else:
        rows = Q(dimension=dimension, day__gte=period.start, day__lte=period.end)
    query = ReportDay.objects.for_tenant(tenant).filter(rows)
    return query if key is None else query.filter(key=key)


def _rows(query) -> list[tuple]:
    """The rows of a queryset, fetched in PostgreSQL's binary format: a stored histogram
    comes back as its bytes (the text format would spell each byte in hex, and decode it
    again here). Django's cursors bind client-side, which has no binary results."""
    sql, params = query.query.sql_with_params()
    with (
        connection.cursor() as wrapper,
        connection.wrap_database_errors,
        psycopg.Cursor(wrapper.cursor.connection) as cursor,
    ):
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _merged(days, scope: Scope) -> dict[str, tuple[list[int], int, int]]:
    """{key: (counter sums in DAY_COUNTERS' order, first-response histogram, resolution
    histogram)} over the rows, each histogram the sum of the rows' stored ones as one Python
    integer (`reports.histogram.stored_total`): a fixed cost per row, whatever the row holds
    — one query, summed here."""
    response, resolution = (
        ("first_response_business_hist", "resolution_business_hist")
        if scope.business_hours
        else ("first_response_hist", "resolution_hist")
    )
    merged: dict[str, tuple[list[int], int, int]] = {}
    n = len(DAY_COUNTERS)
    for key, *values in _rows(days.values_list("key", *DAY_COUNTERS, response, resolution)):
        entry = merged.get(key)
        if entry is None:
            merged[key] = (values[:n], stored_total(values[n]), stored_total(values[n + 1]))
        else:
            merged[key] = (
                list(map(add, entry[0], values[:n])),
                entry[1] + stored_total(values[n]),
                entry[2] + stored_total(values[n + 1]),
            )
    return merged


_RESPONSES = DAY_COUNTERS.index("first_responses")
_RESOLUTIONS = DAY_COUNTERS.index("resolutions")


def _dense(entry: tuple[list[int], int, int]) -> tuple[array, array]:
    """The first-response and resolution histograms of a merged entry, BINS counts each."""
    sums, responses, resolutions = entry
    return (
        stored_dense(responses, sums[_RESPONSES]),
        stored_dense(resolutions, sums[_RESOLUTIONS]),
    )


def _figures(entry: tuple[list[int], int, int]) -> Figures:
    sums = dict(zip(DAY_COUNTERS, entry[0], strict=True))
    responses, resolutions = _dense(entry)
    response_median, response_p90 = dense_percentiles(responses, (0.5, 0.9))
    resolution_median, resolution_p90 = dense_percentiles(resolutions, (0.5, 0.9))
    return Figures(
        new=sums["conversations_new"],
        resolved=sums["resolutions"],
        open=sums["conversations_open"],
        messages_in=sums["messages_in"],
        messages_out=sums["messages_out"],
        first_response_median=response_median,
        first_response_p90=response_p90,
        first_responses=sums["first_responses"],
        resolution_median=resolution_median,
        resolution_p90=resolution_p90,
        replies_per_resolution=ratio(sums["replies"], sums["resolutions"]),
        bot_handled_share=ratio(sums["bot_handled"], sums["resolutions"]),
        csat_responses=sums["csat_responses"],
        csat_average=ratio(sums["csat_score"], sums["csat_responses"]),
        csat_satisfied_share=ratio(sums["csat_satisfied"], sums["csat_responses"]),
    )


def _scoped(tenant, period: Period, scope: Scope):
    if scope.agent_id is not None:
        return _days(tenant, period, "agent", str(scope.agent_id))
    return _days(tenant, period, ALL)


def report_overview(tenant, period: Period, scope: Scope) -> tuple[Figures, list[int]]:
    """The period's figures and its response-time distribution, from the same rows."""
    empty = ([0] * len(DAY_COUNTERS), 0, 0)
    entry = next(iter(_merged(_scoped(tenant, period, scope), scope).values()), empty)
    return _figures(entry), _distribution(_dense(entry)[0])


def report_figures(tenant, period: Period, scope: Scope) -> Figures:
    """The period's figures: everybody's, or an agent's own (their row of the agent
    breakdown: see the attribution of each figure in docs/reports.md)."""
    return report_overview(tenant, period, scope)[0]


def _typed(dimension: str, key: str):
    return key if dimension == "campaign" else int(key)


def report_breakdown(tenant, period: Period, scope: Scope, dimension: str) -> dict:
    """{key: Figures} for one dimension (agent, team, channel or label id, or campaign name;
    0 or "" for none). Labels have no message counts (a message has no label). An agent's
    scope keeps only their own row of the agent breakdown; in the others it counts what is
    theirs by the same attribution."""
    prefix = ""
    if scope.agent_id is None:
        days = _days(tenant, period, dimension)
    elif dimension == "agent":
        days = _days(tenant, period, dimension, str(scope.agent_id))
    else:
        prefix = f"{scope.agent_id}|"
        days = _days(tenant, period, AGENT_PREFIX + dimension).filter(key__startswith=prefix)
    return {
        _typed(dimension, key[len(prefix) :]): _figures(entry)
        for key, entry in _merged(days, scope).items()
        if any(entry[0]) or entry[1] or entry[2]
    }


# --- charts' data ------------------------------------------------------------------------


def volume_series(tenant, period: Period, scope: Scope) -> list[dict]:
    """Per local day (per local hour for a one-day period): new conversations, messages in
    and out, resolutions; only the days or hours with something. Grouped by the database
    from the 15-minute totals (≤ 96 rows a day)."""
    if period.days == 1:
        local = TruncHour("bucket", tzinfo=period.zone)
    else:
        local = TruncDate("bucket", tzinfo=period.zone)
    query = _totals(tenant, period, scope).annotate(at=local).values("at")
    return list(query.annotate(**_counter_sums()).order_by("at"))


def heatmap(tenant, period: Period, scope: Scope) -> dict[tuple[int, int], int]:
    """Messages in per (ISO weekday 1–7, local hour 0–23)."""
    query = (
        _totals(tenant, period, scope)
        .filter(messages_in__gt=0)
        .annotate(
            weekday=ExtractIsoWeekDay("bucket", tzinfo=period.zone),
            hour=ExtractHour("bucket", tzinfo=period.zone),
        )
        .values("weekday", "hour")
        .annotate(n=Sum("messages_in"))
        .order_by()
    )
    return {(row["weekday"], row["hour"]): row["n"] for row in query}


def _distribution(responses) -> list[int]:
    counts = [0] * len(RESPONSE_BINS)
    for index, n in enumerate(responses):
        if n:
            counts[response_bin(bin_low(index))] += n
    return counts


def response_distribution(tenant, period: Period, scope: Scope) -> list[int]:
    """How many first responses fell in each of RESPONSE_BINS (exact: their bounds are edges
    of the histograms' bins)."""
    return report_overview(tenant, period, scope)[1]
