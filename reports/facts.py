"""What one conversation's raw rows say, by the definitions of docs/reports.md.

Pure Python, no database: `reports.services` feeds it the rows it reads to keep the rollups,
`reports.direct` the rows it reads to compute figures without them; both therefore follow the
same definitions, and the tests hold the rollups to the direct computation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUCKET_SECONDS = 15 * 60
MESSAGE, NOTE, ACTIVITY = "message", "note", "activity"
IN, OUT = "in", "out"
AGENT, BOT, SYSTEM, CUSTOMER = "agent", "bot", "system", "customer"
RESOLVED = "resolved"


@dataclass(frozen=True)
class Row:
    """One Message row, as much of it as the definitions read."""

    id: int
    at: datetime
    kind: str
    direction: str
    author_kind: str
    author_id: int  # 0: no member
    status_change: str = ""  # the status an activity row recorded ("" for anything else)


@dataclass(frozen=True)
class ConversationInfo:
    id: int
    created_at: datetime
    channel_id: int
    campaign: str
    team_id: int  # 0: no team
    assignee_id: int  # 0: unassigned
    label_ids: tuple[int, ...]
    is_open: bool
    source_version: str = ""  # the conversation row's version these facts were read at


@dataclass(frozen=True)
class Schedule:
    """A tenant's weekly opening hours (local weekday, opens, closes; 00:00 closes at
    midnight) and holidays (local dates); `intervals` empty means always open."""

    zone: ZoneInfo
    intervals: tuple[tuple[int, time, time], ...] = ()
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Resolution:
    at: datetime
    resolver_id: int
    cycle_started_at: datetime
    seconds: float
    business_seconds: float
    replies: int
    bot_handled: bool


@dataclass
class Facts:
    first_customer_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_seconds: float | None = None
    first_response_business_seconds: float | None = None
    responder_id: int = 0
    resolutions: list[Resolution] = field(default_factory=list)
    # (bucket start, agent id) → [messages in, messages out, new conversations, resolutions]
    buckets: dict[tuple[datetime, int], list[int]] = field(default_factory=dict)


def bucket_of(at: datetime) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % BUCKET_SECONDS, tz=UTC)


def business_seconds(start: datetime, end: datetime, schedule: Schedule | None) -> float:
    """Seconds between two instants during which the business was open (all of them when it
    has no weekly schedule). Opening hours are local times on each local date, so a
    daylight-saving change moves them in UTC as it should."""
    if end <= start:
        return 0.0
    if schedule is None or not schedule.intervals:
        return (end - start).total_seconds()
    zone = schedule.zone
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    total = 0.0
    day = first
    while day <= last:
        if day not in schedule.holidays:
            spans = []
            for weekday, opens, closes in schedule.intervals:
                if weekday != day.weekday():
                    continue
                o = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
                close_day = day + timedelta(days=1) if closes == time(0, 0) else day
                c = datetime.combine(close_day, closes, tzinfo=zone).astimezone(UTC)
                spans.append((o, c))
            spans.sort()
            merged: list[list[datetime]] = []
            for o, c in spans:
                if merged and o <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], c)
                else:
                    merged.append([o, c])
            for o, c in merged:
                lo, hi = max(o, start), min(c, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def conversation_facts(
    info: ConversationInfo, rows: Iterable[Row], schedule: Schedule | None = None
) -> Facts:
    """The first response, the resolutions and the counter contributions of a conversation."""
    facts = Facts()
    buckets: dict[tuple[datetime, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    buckets[(bucket_of(info.created_at), info.assignee_id)][2] += 1
    resolved = False
    cycle_start = info.created_at
    replies = bots = 0
    for row in sorted(rows, key=lambda r: (r.at, r.id)):
        if row.kind == MESSAGE and row.direction == IN:
            buckets[(bucket_of(row.at), info.assignee_id)][0] += 1
            if facts.first_customer_at is None:
                facts.first_customer_at = row.at
            if resolved:  # a customer writing to a resolved conversation reopens it
                resolved, cycle_start, replies, bots = False, row.at, 0, 0
        elif row.kind == MESSAGE:
            buckets[(bucket_of(row.at), row.author_id)][1] += 1
            if row.author_kind == AGENT:
                replies += 1
                if facts.first_response_at is None and facts.first_customer_at is not None:
                    facts.first_response_at = row.at
                    facts.responder_id = row.author_id
                    facts.first_response_seconds = (
                        row.at - facts.first_customer_at
                    ).total_seconds()
                    facts.first_response_business_seconds = business_seconds(
                        facts.first_customer_at, row.at, schedule
                    )
            else:
                bots += 1
        elif row.kind == ACTIVITY and row.status_change:
            if row.status_change == RESOLVED and not resolved:
                facts.resolutions.append(
                    Resolution(
                        at=row.at,
                        resolver_id=row.author_id,
                        cycle_started_at=cycle_start,
                        seconds=max(0.0, (row.at - cycle_start).total_seconds()),
                        business_seconds=business_seconds(cycle_start, row.at, schedule),
                        replies=replies,
                        bot_handled=bots > 0 and replies == 0,
                    )
                )
                buckets[(bucket_of(row.at), row.author_id)][3] += 1
                resolved = True
            elif row.status_change != RESOLVED and resolved:
                resolved, cycle_start, replies, bots = False, row.at, 0, 0
        # Notes, and activity rows that change no status, count for nothing.
    facts.buckets = {k: v for k, v in buckets.items() if any(v)}
    return facts


def contributions(info: ConversationInfo, facts: Facts) -> dict[str, list[int]]:
    """The counters' share of this conversation, as stored on its ReportConversation."""
    return {f"{int(b.timestamp())}|{agent}": v for (b, agent), v in facts.buckets.items()}


def counter_key(
    key: str, channel_id: int, campaign: str, team_id: int
) -> tuple[datetime, int, int, int, str]:
    epoch, agent = key.split("|")
    return (datetime.fromtimestamp(int(epoch), tz=UTC), channel_id, int(agent), team_id, campaign)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- per-day rollups (ReportDay) ----------------------------------------------------------

# The counters of a ReportDay row, in the order a share stores them.
DAY_COUNTERS = (
    "messages_in", "messages_out", "conversations_new", "conversations_open", "resolutions",
    "first_responses", "replies", "bot_handled", "csat_responses", "csat_score",
    "csat_satisfied",
)  # fmt: skip
HISTOGRAMS = (
    "first_response_hist", "first_response_business_hist", "resolution_hist",
    "resolution_business_hist",
)  # fmt: skip
ALL = "all"
AGENT_PREFIX = "a."  # "a.channel": agent × channel, keyed "<agent id>|<channel id>"
# "w.campaign", "w.a.channel", …: a local week's row (Monday to Sunday, keyed by the Monday),
# the sum of its 7 day rows — a period reads whole weeks from these and only the days around.
WEEK_PREFIX = "w."


def week_start(day: date) -> date:
    """The Monday of a local day's week."""
    return day - timedelta(days=day.weekday())


SATISFIED = 4  # a rating of 4 or 5 out of 5


@dataclass(frozen=True)
class Rating:
    at: datetime
    rating: int


def day_shares(
    info: ConversationInfo, facts: Facts, ratings: Sequence[Rating], zone: ZoneInfo
) -> dict[str, list]:
    """What this conversation adds to each ReportDay row (local day × dimension × key):
    {"<day>|<dimension>|<key>": [counter, …, [histogram bins], …]}, stored on its
    ReportConversation so the next refresh can take it back. Attribution (docs/reports.md):
    new, open, messages in and CSAT go to the current assignee; messages out to their author;
    a first response to who wrote it; a resolution to who resolved it. Labels get no message
    counts."""
    from .histogram import bin_of

    shares: dict[str, list] = {}
    team, channel, campaign = str(info.team_id), str(info.channel_id), info.campaign
    labels = [str(label) for label in info.label_ids]

    def add(at: datetime, agent: int, counts: dict[str, int], hists=(), with_labels=True):
        day = at.astimezone(zone).date().isoformat()
        targets = [("team", team), ("channel", channel), ("campaign", campaign)]
        if with_labels:
            targets += [("label", label) for label in labels]
        # An agent's own breakdowns: the same rows for what is attributed to them.
        targets += [(f"{AGENT_PREFIX}{d}", f"{agent}|{key}") for d, key in targets]
        targets += [(ALL, ""), ("agent", str(agent))]
        for dimension, key in targets:
            share = shares.setdefault(
                f"{day}|{dimension}|{key}", [0] * len(DAY_COUNTERS) + [[] for _ in HISTOGRAMS]
            )
            for name, n in counts.items():
                share[DAY_COUNTERS.index(name)] += n
            for name, seconds in hists:
                share[len(DAY_COUNTERS) + HISTOGRAMS.index(name)].append(bin_of(seconds))

    add(
        info.created_at,
        info.assignee_id,
        {"conversations_new": 1, "conversations_open": int(info.is_open)},
    )
    for (bucket, who), (n_in, n_out, _new, _resolved) in facts.buckets.items():
        # A 15-minute bucket lies in one local day (offsets are multiples of 15 minutes).
        if n_in:
            add(bucket, who, {"messages_in": n_in}, with_labels=False)
        if n_out:
            add(bucket, who, {"messages_out": n_out}, with_labels=False)
    if facts.first_response_at is not None:
        add(
            facts.first_response_at,
            facts.responder_id,
            {"first_responses": 1},
            [
                ("first_response_hist", facts.first_response_seconds),
                ("first_response_business_hist", facts.first_response_business_seconds),
            ],
        )
    for r in facts.resolutions:
        add(
            r.at,
            r.resolver_id,
            {"resolutions": 1, "replies": r.replies, "bot_handled": int(r.bot_handled)},
            [("resolution_hist", r.seconds), ("resolution_business_hist", r.business_seconds)],
        )
    for rating in ratings:
        add(
            rating.at,
            info.assignee_id,
            {
                "csat_responses": 1,
                "csat_score": rating.rating,
                "csat_satisfied": int(rating.rating >= SATISFIED),
            },
        )
    return shares
