"""Writes on the reports' rollups: refresh a conversation's facts and its share of the
counters from its raw rows; the incremental job that finds what changed; a full rebuild.

A refresh is idempotent: it recomputes the conversation from its rows, subtracts what the
conversation contributed to the counters last time and adds what it contributes now, in one
transaction with the conversation's fact row locked. Running it twice, late, or for a
conversation that did not change leaves the same figures.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from inbox.models import Conversation

from .facts import (
    DAY_COUNTERS,
    HISTOGRAMS,
    WEEK_PREFIX,
    Schedule,
    contributions,
    conversation_facts,
    counter_key,
    day_shares,
    week_start,
)
from .histogram import histogram_pairs
from .models import (
    ReportBucket,
    ReportConversation,
    ReportDay,
    ReportResolution,
    ReportSweep,
    ReportTotal,
)
from .raw import (
    ROW_VERSION,
    conversation_infos,
    conversation_ratings,
    conversation_rows,
    tenant_schedule,
)

log = logging.getLogger(__name__)

BATCH = 500
# A transaction that touched a conversation before the job's last run but committed after it
# is still seen: each run re-reads this far back (refreshing twice changes nothing).
SWEEP_OVERLAP = timedelta(minutes=5)
SWEEP_NAME = "conversations"


_COUNTERS_ADD = """
INSERT INTO reports_reportbucket (tenant_id, bucket, channel_id, agent_id, team_id, campaign,
    messages_in, messages_out, conversations_new, resolutions)
SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[], %s::bigint[], %s::bigint[],
    %s::varchar[], %s::int[], %s::int[], %s::int[], %s::int[])
ON CONFLICT (tenant_id, bucket, channel_id, agent_id, team_id, campaign) DO UPDATE SET
    messages_in = reports_reportbucket.messages_in + EXCLUDED.messages_in,
    messages_out = reports_reportbucket.messages_out + EXCLUDED.messages_out,
    conversations_new = reports_reportbucket.conversations_new + EXCLUDED.conversations_new,
    resolutions = reports_reportbucket.resolutions + EXCLUDED.resolutions
"""


_TOTALS_ADD = """
INSERT INTO reports_reporttotal (tenant_id, bucket,
    messages_in, messages_out, conversations_new, resolutions)
SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[], %s::int[], %s::int[], %s::int[])
ON CONFLICT (tenant_id, bucket) DO UPDATE SET
    messages_in = reports_reporttotal.messages_in + EXCLUDED.messages_in,
    messages_out = reports_reporttotal.messages_out + EXCLUDED.messages_out,
    conversations_new = reports_reporttotal.conversations_new + EXCLUDED.conversations_new,
    resolutions = reports_reporttotal.resolutions + EXCLUDED.resolutions
"""


def _counters_add(deltas: dict[tuple, list[int]]) -> None:
    """Add deltas to ReportBucket rows (created when missing), in key order (no deadlock
    between two refreshes touching the same buckets)."""
    items = [(k, v) for k, v in sorted(deltas.items()) if any(v)]
    if not items:
        return
    columns: list[list] = [[] for _ in range(10)]
    for (tenant_id, bucket, channel_id, agent_id, team_id, campaign), v in items:
        for column, value in zip(
            columns, (tenant_id, bucket, channel_id, agent_id, team_id, campaign, *v), strict=True
        ):
            column.append(value)
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (tenant_id, bucket, *_dims), v in items:
        for i, value in enumerate(v):
            totals[(tenant_id, bucket)][i] += value
    total_items = [(k, v) for k, v in sorted(totals.items()) if any(v)]
    total_columns: list[list] = [[] for _ in range(6)]
    for key, v in total_items:
        for column, value in zip(total_columns, (*key, *v), strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_COUNTERS_ADD, columns)
        if total_items:
            cursor.execute(_TOTALS_ADD, total_columns)


_DAY_COLUMNS = ", ".join(DAY_COUNTERS + HISTOGRAMS)
# The counters: added by the upsert (a new row starts with empty histograms).
_DAYS_ADD = f"""
INSERT INTO reports_reportday (tenant_id, day, dimension, key, {_DAY_COLUMNS})
SELECT t, d, dim, k, {", ".join(DAY_COUNTERS)}, {", ".join("''::bytea" for _h in HISTOGRAMS)}
FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::varchar[],
    {", ".join(["%s::int[]"] * len(DAY_COUNTERS))}) AS u(t, d, dim, k, {", ".join(DAY_COUNTERS)})
ON CONFLICT (tenant_id, dimension, day, key) DO UPDATE SET
    {", ".join(f"{c} = reports_reportday.{c} + EXCLUDED.{c}" for c in DAY_COUNTERS)}
"""  # noqa: S608 — the names are this module's constants
# The histograms: their (bin, count) deltas added to the rows the upsert above has just
# locked (each row once, so no second lock order to deadlock on).
_HISTOGRAMS_ADD = f"""
UPDATE reports_reportday AS r SET
    {", ".join(f"{h} = reports_hist_apply(r.{h}, u.{h}::int[])" for h in HISTOGRAMS)}
FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::varchar[],
    {", ".join(["%s::text[]"] * len(HISTOGRAMS))}) AS u(t, d, dim, k, {", ".join(HISTOGRAMS)})
WHERE r.tenant_id = u.t AND r.dimension = u.dim AND r.day = u.d AND r.key = u.k
"""  # noqa: S608


def _share_add(into: list, share: list, sign: int) -> None:
    for i in range(len(DAY_COUNTERS)):
        into[i] += sign * share[i]
    for i in range(len(HISTOGRAMS)):
        bins = into[len(DAY_COUNTERS) + i]
        for index in share[len(DAY_COUNTERS) + i]:
            bins[index] = bins.get(index, 0) + sign


def _days_add(deltas: dict[tuple, list]) -> None:
    """Add deltas to ReportDay rows (created when missing), in key order: the counters by
    an upsert, then the histograms' changed bins (`reports_hist_apply`)."""
    columns: list[list] = [[] for _ in range(4 + len(DAY_COUNTERS))]
    hist_columns: list[list] = [[] for _ in range(4 + len(HISTOGRAMS))]
    for (tenant_id, day, dimension, key), delta in sorted(deltas.items()):
        counters = delta[: len(DAY_COUNTERS)]
        # The changed bins as (bin, count) pairs, flat, by bin (reports.histogram).
        hists = [histogram_pairs(bins) for bins in delta[len(DAY_COUNTERS) :]]
        if not any(counters) and not any(hists):
            continue
        for column, value in zip(columns, (tenant_id, day, dimension, key, *counters), strict=True):
            column.append(value)
        if any(hists):
            texts = ["{" + ",".join(map(str, pairs)) + "}" for pairs in hists]
            for column, value in zip(
                hist_columns, (tenant_id, day, dimension, key, *texts), strict=True
            ):
                column.append(value)
    if columns[0]:
        with connection.cursor() as cursor:
            cursor.execute(_DAYS_ADD, columns)
            if hist_columns[0]:
                cursor.execute(_HISTOGRAMS_ADD, hist_columns)


def _day_share_add(deltas: dict[tuple, list], tenant_id: int, key: str, share, sign: int):
    """A conversation's share of a day goes to the day's row and to its local week's row
    (keyed by the Monday, dimension "w.<dimension>"): a week row is the sum of its days."""
    day, dimension, value = key.split("|", 2)
    _share_add(deltas[(tenant_id, day, dimension, value)], share, sign)
    week = week_start(date.fromisoformat(day)).isoformat()
    _share_add(deltas[(tenant_id, week, WEEK_PREFIX + dimension, value)], share, sign)


def _new_delta() -> list:
    return [0] * len(DAY_COUNTERS) + [{} for _ in HISTOGRAMS]


class _Pending:
    """Counter deltas gathered over several batches of one transaction and written once:
    a rebuild or a first sweep would otherwise update the same rows (a day's totals) once
    per batch, each update a new row version the next one walks past."""

    def __init__(self):
        self.counters: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.days: dict[tuple, list] = defaultdict(_new_delta)

    def write(self, chunk: int = 5000) -> None:
        for deltas, add in ((self.counters, _counters_add), (self.days, _days_add)):
            keys = sorted(deltas)
            for start in range(0, len(keys), chunk):
                add({key: deltas[key] for key in keys[start : start + chunk]})


@transaction.atomic
def report_conversations_refresh(conversation_ids: Iterable[int]) -> int:
    """Recompute these conversations' facts and counters from their raw rows."""
    pending = _Pending()
    n = _refresh(conversation_ids, pending)
    pending.write()
    return n


def _refresh(conversation_ids: Iterable[int], pending: _Pending) -> int:
    """Replace the conversations' fact rows and add their counter deltas to `pending` (in
    the caller's transaction; the caller writes `pending` before it commits)."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    infos = conversation_infos(ids)
    now = timezone.now()
    ReportConversation.objects.bulk_create(
        [
            ReportConversation(
                conversation_id=pk,
                tenant_id=tenant_id,
                channel_id=info.channel_id,
                created_at=info.created_at,
            )
            for pk, (tenant_id, info) in infos.items()
        ],
        ignore_conflicts=True,
    )
    old = {
        r.pk: r
        for r in ReportConversation.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    rows = conversation_rows(infos)
    ratings = conversation_ratings(infos)
    schedules: dict[int, Schedule] = {}
    day_deltas = pending.days
    deltas = pending.counters
    resolutions = []
    fresh: list[ReportConversation] = []
    for pk in ids:
        previous = old.get(pk)
        if previous is not None:
            for key, values in previous.contributions.items():
                full = (
                    previous.tenant_id,
                    *counter_key(key, previous.channel_id, previous.campaign, previous.team_id),
                )
                for i, value in enumerate(values):
                    deltas[full][i] -= value
            for key, share in previous.day_shares.items():
                _day_share_add(day_deltas, previous.tenant_id, key, share, -1)
        if pk not in infos:
            continue  # deleted: its fact row went with it; only its counters are taken back
        tenant_id, info = infos[pk]
        if tenant_id not in schedules:
            schedules[tenant_id] = tenant_schedule(tenant_id)
        facts = conversation_facts(info, rows.get(pk, []), schedules[tenant_id])
        share = contributions(info, facts)
        for key, values in share.items():
            full = (tenant_id, *counter_key(key, info.channel_id, info.campaign, info.team_id))
            for i, value in enumerate(values):
                deltas[full][i] += value
        days = day_shares(info, facts, ratings.get(pk, []), schedules[tenant_id].zone)
        for key, day_share in days.items():
            _day_share_add(day_deltas, tenant_id, key, day_share, 1)
        fresh.append(
            ReportConversation(
                conversation_id=pk,
                tenant_id=tenant_id,
                channel_id=info.channel_id,
                campaign=info.campaign,
                team_id=info.team_id,
                assignee_id=info.assignee_id,
                label_ids=list(info.label_ids),
                created_at=info.created_at,
                is_open=info.is_open,
                first_customer_at=facts.first_customer_at,
                first_response_at=facts.first_response_at,
                first_response_seconds=facts.first_response_seconds,
                first_response_business_seconds=facts.first_response_business_seconds,
                responder_id=facts.responder_id,
                contributions=share,
                day_shares=days,
                refreshed_at=now,
                source_version=info.source_version,
            )
        )
        resolutions += [
            ReportResolution(
                tenant_id=tenant_id,
                conversation_id=pk,
                resolved_at=r.at,
                resolver_id=r.resolver_id,
                channel_id=info.channel_id,
                campaign=info.campaign,
                team_id=info.team_id,
                label_ids=list(info.label_ids),
                cycle_started_at=r.cycle_started_at,
                seconds=r.seconds,
                business_seconds=r.business_seconds,
                replies=r.replies,
                bot_handled=r.bot_handled,
            )
            for r in facts.resolutions
        ]
    # The rows are locked by this transaction: replacing them is one DELETE and one INSERT.
    ReportConversation.objects.filter(pk__in=ids).delete()
    ReportConversation.objects.bulk_create(fresh)
    ReportResolution.objects.filter(conversation_id__in=ids).delete()
    ReportResolution.objects.bulk_create(resolutions)
    return len(infos)


def report_sweep(*, now: datetime | None = None) -> int:
    """The incremental job: refresh every conversation changed since the last run (every
    write on a conversation or its messages moves `Conversation.updated_at`)."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _created = ReportSweep.objects.select_for_update().get_or_create(name=SWEEP_NAME)
        since = state.swept_until - SWEEP_OVERLAP if state.swept_until else None
        changed = Conversation.objects.filter(updated_at__lte=now)
        if since is not None:
            changed = changed.filter(updated_at__gte=since)
        ids = _not_refreshed_since(changed)
        pending = _Pending()
        for start in range(0, len(ids), BATCH):
            _refresh(ids[start : start + BATCH], pending)
        pending.write()
        state.swept_until = now
        state.save(update_fields=["swept_until"])
    if ids:
        log.info("reports: refreshed %d conversations", len(ids))
    return len(ids)


def _not_refreshed_since(changed) -> list[int]:
    """The conversations whose row changed since their last refresh read it. The overlap
    re-reads every conversation of the last minutes each run; refreshing again the ones that
    did not change took ~10 s of CPU a run at 200 webhooks/s (docs/reliability.md)."""
    refreshed = ReportConversation.objects.filter(pk=OuterRef("pk")).values("source_version")
    return list(
        changed.annotate(version=ROW_VERSION, refreshed=Subquery(refreshed))
        .filter(Q(refreshed__isnull=True) | ~Q(refreshed=F("version")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def report_tenant_rebuild(*, tenant) -> int:
    """Recompute a tenant's rollups from scratch (after its timezone or opening hours
    changed, or after conversations were deleted: their counts leave the counters here)."""
    ReportBucket.objects.for_tenant(tenant).delete()
    ReportTotal.objects.for_tenant(tenant).delete()
    ReportDay.objects.for_tenant(tenant).delete()
    ReportResolution.objects.for_tenant(tenant).delete()
    ReportConversation.objects.for_tenant(tenant).delete()
    ids = list(Conversation.objects.for_tenant(tenant).order_by("pk").values_list("pk", flat=True))
    pending = _Pending()
    for start in range(0, len(ids), BATCH):
        _refresh(ids[start : start + BATCH], pending)
    pending.write()
    return len(ids)
