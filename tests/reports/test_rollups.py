"""The rollups agree with the direct computation from the raw rows (percentiles within the
histograms' bound), on randomised histories with CSAT ratings:
reopened conversations, bot-only ones, notes, reassignment and labels changing after a first
refresh, a daylight-saving change and midnight in the tenant's timezone. Times are constructed
(never today's date)."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.automation.models import BusinessHours
from inbox.models import Conversation, CsatSurvey, Message, Team
from reports.direct import direct_figures
from reports.facts import DAY_COUNTERS, HISTOGRAMS, WEEK_PREFIX, week_start
from reports.figures import Scope
from reports.histogram import (
    figures_differences,
    histogram_add,
    histogram_counts,
    histogram_pairs,
    within_bound,
)
from reports.models import (
    ReportBucket,
    ReportConversation,
    ReportDay,
    ReportResolution,
    ReportTotal,
)
from reports.periods import Period, period_parse
from reports.selectors import report_breakdown, report_figures
from reports.services import report_conversations_refresh, report_sweep
from tests.factories import ChannelFactory, ContactFactory, LabelFactory, MembershipFactory

PRAGUE = ZoneInfo("Europe/Prague")
# Summer time ends in Prague on Sunday 2026-10-25 at 03:00 CEST (→ 02:00 CET): that day has
# 25 hours. The histories start on Friday evening and run across it.
START = datetime(2026, 10, 23, 20, 0, tzinfo=PRAGUE)

EVENTS = st.sampled_from(
    ["customer", "agent1", "agent2", "bot", "note", "resolve", "resolve_bot", "reopen", "rate"]
)
HISTORY = st.lists(
    st.tuples(EVENTS, st.integers(min_value=0, max_value=9 * 3600)), min_size=0, max_size=8
)
CONVERSATION = st.tuples(
    st.integers(min_value=0, max_value=72 * 60),  # minutes after START it is created
    HISTORY,
    HISTORY,  # events written after the first refresh
    st.sampled_from([0, 1, 2]),  # assignee (0: none) after the first refresh
    st.booleans(),  # labelled and given to a team after the first refresh
)


@pytest.fixture
def world(tenant_a):
    tenant_a.timezone = "Europe/Prague"
    tenant_a.save()
    agents = [MembershipFactory(tenant=tenant_a, role="agent").user for _ in range(2)]
    return {
        "tenant": tenant_a,
        "agents": agents,
        "channels": [ChannelFactory(tenant=tenant_a), ChannelFactory(tenant=tenant_a)],
        "label": LabelFactory(tenant=tenant_a),
        "team": Team.objects.create(tenant=tenant_a, name="Sales"),
        "contact": ContactFactory(tenant=tenant_a),
    }


def _write(world, conversation, events, created_at):
    agents = world["agents"]
    for n, (what, seconds) in enumerate(events):
        at = created_at + timedelta(seconds=seconds + n)
        fields = {"direction": "out", "author_kind": "agent", "kind": "message"}
        if what == "customer":
            fields.update(direction="in", author_kind="customer")
        elif what in ("agent1", "agent2"):
            fields["author_user"] = agents[what == "agent2"]
        elif what == "bot":
            fields["author_kind"] = "bot"
        elif what == "note":
            fields.update(kind="note", author_user=agents[0])
        elif what == "rate":  # a CSAT rating: kept as an activity row, as ingest does
            rating = seconds % 5 + 1
            fields.update(kind="activity", direction="in", author_kind="customer",
                          metadata={"csat_rating": rating})  # fmt: skip
            CsatSurvey.objects.create(tenant=world["tenant"], conversation=conversation,
                                      channel_id=conversation.channel_id, status="rated",
                                      rating=rating, rated_at=at, created_at=at)  # fmt: skip
        else:
            status = "open" if what == "reopen" else "resolved"
            fields.update(kind="activity", metadata={"status": status})
            if what == "resolve":
                fields["author_user"] = agents[1]
            else:
                fields["author_kind"] = "system"
        Message.objects.create(
            tenant=world["tenant"],
            conversation=conversation,
            channel_id=conversation.channel_id,
            text="x",
            created_at=at,
            **fields,
        )


def _status(events, start="open"):
    status = start
    for what, _seconds in events:
        if what in ("resolve", "resolve_bot"):
            status = "resolved"
        elif what in ("reopen", "customer") and status == "resolved":
            status = "open"
    return status


def _periods(tenant):
    days = [START.date() + timedelta(days=n) for n in range(5)]
    periods = [Period("custom", d, d, PRAGUE) for d in days]
    periods.append(Period("custom", days[0], days[-1], PRAGUE))
    periods.append(period_parse(tenant, {"period": "7d"}, now=START + timedelta(days=4)))
    # Periods with whole local weeks (Monday–Sunday) read the week rows: Mon 19 Oct – Sun
    # 1 Nov (two weeks, the second with the end of summer time), Thu 22 Oct – Mon 2 Nov (days,
    # a week, a day).
    periods.append(Period("custom", date(2026, 10, 19), date(2026, 11, 1), PRAGUE))
    periods.append(Period("custom", date(2026, 10, 22), date(2026, 11, 2), PRAGUE))
    return periods


def _weeks_are_the_sums_of_their_days(tenant):
    """Every week row holds exactly what its 7 day rows hold (counters and histograms)."""
    sums: dict[tuple, list] = defaultdict(
        lambda: [0] * len(DAY_COUNTERS) + [{} for _ in HISTOGRAMS]
    )
    weeks: dict[tuple, list] = {}
    for row in ReportDay.objects.for_tenant(tenant):
        values = [getattr(row, c) for c in DAY_COUNTERS]
        hists = [histogram_counts(getattr(row, h)) for h in HISTOGRAMS]
        if row.dimension.startswith(WEEK_PREFIX):
            weeks[(row.day, row.dimension, row.key)] = values + hists
            continue
        total = sums[(week_start(row.day), WEEK_PREFIX + row.dimension, row.key)]
        for i, value in enumerate(values):
            total[i] += value
        for i, hist in enumerate(hists):
            histogram_add(total[len(DAY_COUNTERS) + i], histogram_pairs(hist))

    def non_empty(rows):
        return {k: v for k, v in rows.items() if any(v)}

    assert non_empty(weeks) == non_empty(sums)
    assert weeks  # the histories always have a week with something


def _check_agree(world):
    tenant = world["tenant"]
    _weeks_are_the_sums_of_their_days(tenant)
    scopes = [Scope(), Scope(business_hours=True)] + [Scope(agent_id=a.pk) for a in world["agents"]]
    for period in _periods(tenant):
        for scope in scopes:
            rolled = report_figures(tenant, period, scope)
            direct = direct_figures(tenant, period, scope)
            assert figures_differences(rolled, direct) == [], (period, scope, rolled, direct)
        # Every breakdown splits the same totals (labels: conversations, not messages).
        everyone = report_figures(tenant, period, Scope())
        for dimension in ("agent", "team", "channel", "campaign"):
            rows = report_breakdown(tenant, period, Scope(), dimension).values()
            assert sum(r.new for r in rows) == everyone.new, dimension
            assert sum(r.messages_in for r in rows) == everyone.messages_in, dimension
            assert sum(r.first_responses for r in rows) == everyone.first_responses, dimension
            assert sum(r.resolved for r in rows) == everyone.resolved, dimension
            assert sum(r.csat_responses for r in rows) == everyone.csat_responses, dimension
        # An agent's own breakdowns split their own figures.
        for agent in world["agents"]:
            own = report_figures(tenant, period, Scope(agent_id=agent.pk))
            for dimension in ("team", "channel", "campaign"):
                rows = report_breakdown(tenant, period, Scope(agent_id=agent.pk), dimension)
                assert sum(r.new for r in rows.values()) == own.new, dimension
                assert sum(r.resolved for r in rows.values()) == own.resolved, dimension


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(conversations=st.lists(CONVERSATION, min_size=1, max_size=5))
@pytest.mark.django_db
def test_rollups_equal_the_direct_computation(world, conversations):
    tenant = world["tenant"]
    Conversation.objects.for_tenant(tenant).delete()
    ReportBucket.objects.for_tenant(tenant).delete()
    ReportTotal.objects.for_tenant(tenant).delete()
    ReportDay.objects.for_tenant(tenant).delete()
    BusinessHours.objects.for_tenant(tenant).delete()
    for weekday in range(5):
        BusinessHours.objects.create(
            tenant=tenant, weekday=weekday, opens_at=time(9), closes_at=time(17)
        )
    made = []
    for n, (minutes, before, after, assignee, labelled) in enumerate(conversations):
        created_at = START + timedelta(minutes=minutes)
        conversation = Conversation.objects.create(
            tenant=tenant,
            channel=world["channels"][n % 2],
            contact=world["contact"],
            campaign_name="Spring sale" if n % 3 == 0 else "",
            created_at=created_at,
            status=_status(before),
        )
        _write(world, conversation, before, created_at)
        made.append((conversation, after, assignee, labelled, created_at, before))
    report_conversations_refresh([c.pk for c, *_ in made])
    _check_agree(world)
    # Later: more messages, a reassignment, a label — the next refresh only adds the change.
    for conversation, after, assignee, labelled, created_at, before in made:
        _write(world, conversation, after, created_at + timedelta(hours=10))
        conversation.assignee = world["agents"][assignee - 1] if assignee else None
        conversation.status = _status(after, _status(before))
        conversation.save()
        if labelled:
            conversation.labels.add(world["label"])
            conversation.team = world["team"]
            conversation.save()
    report_sweep()
    _check_agree(world)
    report_conversations_refresh([c.pk for c, *_ in made])  # once more: nothing changes
    _check_agree(world)


@pytest.mark.django_db
def test_a_reopened_conversation_counts_two_resolutions_and_one_first_response(world):
    tenant = world["tenant"]
    agent = world["agents"][0]
    created = datetime(2026, 10, 26, 23, 50, tzinfo=PRAGUE)  # Monday, 10 minutes to midnight
    conversation = Conversation.objects.create(
        tenant=tenant, channel=world["channels"][0], contact=world["contact"], created_at=created
    )
    steps = [
        ("in", "customer", None, "message", {}, 0),
        ("out", "bot", None, "message", {}, 1),
        ("out", "agent", agent, "note", {}, 60),
        ("out", "agent", agent, "message", {}, 15 * 60),  # 00:05 Tuesday: first response
        ("out", "agent", agent, "activity", {"status": "resolved"}, 20 * 60),
        ("in", "customer", None, "message", {}, 60 * 60),  # reopens
        ("out", "agent", agent, "message", {}, 70 * 60),
        ("out", "agent", agent, "activity", {"status": "resolved"}, 90 * 60),
    ]
    for direction, author_kind, user, kind, metadata, seconds in steps:
        Message.objects.create(
            tenant=tenant,
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=direction,
            author_kind=author_kind,
            author_user=user,
            kind=kind,
            metadata=metadata,
            created_at=created + timedelta(seconds=seconds),
        )
    report_conversations_refresh([conversation.pk])
    monday = Period("custom", created.date(), created.date(), PRAGUE)
    next_day = monday.end + timedelta(days=1)
    tuesday = Period("custom", next_day, next_day, PRAGUE)
    on_monday = report_figures(tenant, monday, Scope())
    assert (on_monday.new, on_monday.messages_in, on_monday.messages_out) == (1, 1, 1)
    assert on_monday.first_response_median is None  # the reply came after local midnight
    on_tuesday = report_figures(tenant, tuesday, Scope())
    # from the customer, not the bot (percentiles come from histograms: docs/reports.md)
    assert within_bound(on_tuesday.first_response_median, 15 * 60)
    assert on_tuesday.resolved == 2
    assert within_bound(on_tuesday.resolution_median, (20 * 60 + 30 * 60) / 2)
    assert on_tuesday.replies_per_resolution == 1
    assert on_tuesday.bot_handled_share == 0
    assert on_tuesday.messages_out == 2 and on_tuesday.messages_in == 1  # the note is not one
    assert report_figures(tenant, tuesday, Scope(agent_id=agent.pk)).resolved == 2
    assert report_breakdown(tenant, tuesday, Scope(), "agent")[agent.pk].resolved == 2
    assert ReportResolution.objects.filter(conversation=conversation).count() == 2
    assert ReportConversation.objects.get(pk=conversation.pk).responder_id == agent.pk


@pytest.mark.django_db
def test_a_conversation_only_the_bot_answered_is_bot_handled(world):
    tenant = world["tenant"]
    created = datetime(2026, 3, 29, 1, 30, tzinfo=PRAGUE)  # spring forward at 02:00 that night
    conversation = Conversation.objects.create(
        tenant=tenant, channel=world["channels"][0], contact=world["contact"], created_at=created
    )
    for kind, direction, author_kind, metadata, minutes in [
        ("message", "in", "customer", {}, 0),
        ("message", "out", "bot", {}, 1),
        ("activity", "out", "system", {"status": "resolved"}, 60),  # 03:30 CEST: 60 min later
    ]:
        Message.objects.create(
            tenant=tenant,
            conversation=conversation,
            channel_id=conversation.channel_id,
            kind=kind,
            direction=direction,
            author_kind=author_kind,
            metadata=metadata,
            created_at=created + timedelta(minutes=minutes),
        )
    report_conversations_refresh([conversation.pk])
    day = Period("custom", created.date(), created.date(), PRAGUE)
    figures = report_figures(tenant, day, Scope())
    assert figures.resolved == 1 and figures.bot_handled_share == 1.0
    assert within_bound(figures.resolution_median, 3600)
    assert figures.first_response_median is None  # a bot's answer is not a first response
    assert day.end_dt.astimezone(UTC) - day.start_dt.astimezone(UTC) == timedelta(hours=23)


@pytest.mark.django_db
def test_the_sweep_refreshes_only_conversations_written_since_their_last_refresh(world):
    """Each run re-reads the conversations of the last minutes (a write may commit after the
    run began); of those it refreshes only the ones whose row was written since their last
    refresh, and the figures still equal the direct computation."""
    now = START + timedelta(days=1)
    made = []
    for n in range(3):
        conversation = Conversation.objects.create(
            tenant=world["tenant"],
            channel=world["channels"][n % 2],
            contact=world["contact"],
            created_at=START,
        )
        _write(world, conversation, [("customer", 0)], START)
        made.append(conversation)
    Conversation.objects.filter(pk__in=[c.pk for c in made]).update(
        updated_at=now - timedelta(minutes=1)
    )
    assert report_sweep(now=now) == 3
    assert report_sweep(now=now + timedelta(seconds=30)) == 0  # re-read, not written: skipped

    # An agent's answer whose transaction committed after the last run began: its write time
    # is before that run, inside the re-read window.
    _write(world, made[1], [("agent1", 60)], START)
    Conversation.objects.filter(pk=made[1].pk).update(updated_at=now + timedelta(seconds=20))
    assert report_sweep(now=now + timedelta(seconds=60)) == 1
    _check_agree(world)
    assert report_sweep(now=now + timedelta(seconds=90)) == 0
