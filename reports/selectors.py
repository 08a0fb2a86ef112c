"""Reads of the reports, from the rollups only (never the messages table): the figures of a
period and its breakdowns by agent, team, channel, label or campaign from the per-day rows
(ReportDay: one per day and key, percentiles from their merged histograms); the volume
series and the day × hour heatmap from the 15-minute counters; the response-time
distribution. Definitions: docs/reports.md."""

from __future__ import annotations

from datetime import timedelta

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
from .histogram import BINS, bin_low, dense_add, dense_percentiles
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


def _merged(days, scope: Scope) -> dict[str, tuple[dict, tuple[list[int], list[int]]]]:
    """{key: (counter sums, (first-response histogram, resolution histogram))} over the
    rows, the histograms dense (BINS counts): one query, summed here. The rows are few
    (whole weeks and the days around them) and their histograms sparse ({bin, count, …}:
    only the bins with something); summing in SQL would subscript the (compressed) arrays
    element by element."""
    response, resolution = (
        ("first_response_business_hist", "resolution_business_hist")
        if scope.business_hours
        else ("first_response_hist", "resolution_hist")
    )
    merged: dict[str, tuple[dict, tuple[list[int], list[int]]]] = {}
    n = len(DAY_COUNTERS)
    for key, *values in days.values_list("key", *DAY_COUNTERS, response, resolution):
        if key not in merged:
            merged[key] = (dict.fromkeys(DAY_COUNTERS, 0), ([0] * BINS, [0] * BINS))
        sums, (responses, resolutions) = merged[key]
        for name, value in zip(DAY_COUNTERS, values[:n], strict=True):
            sums[name] += value
        dense_add(responses, values[n])
        dense_add(resolutions, values[n + 1])
    return merged


def _figures(sums: dict, histograms: tuple[list[int], list[int]]) -> Figures:
    responses, resolutions = histograms
    response_median, response_p90 = dense_percentiles(responses, (0.5, 0.9))
    resolution_median, resolution_p90 = dense_percentiles(resolutions, (0.5, 0.9))
    return Figures(
        new=sums.get("conversations_new", 0),
        resolved=sums.get("resolutions", 0),
        open=sums.get("conversations_open", 0),
        messages_in=sums.get("messages_in", 0),
        messages_out=sums.get("messages_out", 0),
        first_response_median=response_median,
        first_response_p90=response_p90,
        first_responses=sums.get("first_responses", 0),
        resolution_median=resolution_median,
        resolution_p90=resolution_p90,
        replies_per_resolution=ratio(sums.get("replies", 0), sums.get("resolutions", 0)),
        bot_handled_share=ratio(sums.get("bot_handled", 0), sums.get("resolutions", 0)),
        csat_responses=sums.get("csat_responses", 0),
        csat_average=ratio(sums.get("csat_score", 0), sums.get("csat_responses", 0)),
        csat_satisfied_share=ratio(sums.get("csat_satisfied", 0), sums.get("csat_responses", 0)),
    )


def _scoped(tenant, period: Period, scope: Scope):
    if scope.agent_id is not None:
        return _days(tenant, period, "agent", str(scope.agent_id))
    return _days(tenant, period, ALL)


def report_overview(tenant, period: Period, scope: Scope) -> tuple[Figures, list[int]]:
    """The period's figures and its response-time distribution, from the same rows."""
    empty = ({}, ([0] * BINS, [0] * BINS))
    sums, histograms = next(iter(_merged(_scoped(tenant, period, scope), scope).values()), empty)
    return _figures(sums, histograms), _distribution(histograms[0])


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
        _typed(dimension, key[len(prefix) :]): _figures(sums, histograms)
        for key, (sums, histograms) in _merged(days, scope).items()
        if any(sums.values()) or any(histograms[0]) or any(histograms[1])
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


def _distribution(responses: list[int]) -> list[int]:
    counts = [0] * len(RESPONSE_BINS)
    for index, n in enumerate(responses):
        if n:
            counts[response_bin(bin_low(index))] += n
    return counts


def response_distribution(tenant, period: Period, scope: Scope) -> list[int]:
    """How many first responses fell in each of RESPONSE_BINS (exact: their bounds are edges
    of the histograms' bins)."""
    return report_overview(tenant, period, scope)[1]
