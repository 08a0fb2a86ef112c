"""The sidebar counts equal the lists they link to, whatever happened to the conversations.

The counts of status / assignee / team / kind / unread under status, assignee, team, kind,
channel, unread and one label come from the tallies kept by triggers (inbox/models/tallies.py);
the others from capped queries. Random conversations (statuses, assignees, teams, kinds,
channels, labels, read markers, customer messages or none, another tenant), then random
changes through the ORM — status, assignee, team, kind, channel, bulk updates, labels added
and removed, conversations deleted, a label deleted, read markers written and removed,
customers writing — with folds of the tallies in between; then every count under random
filter combinations, for an owner and for a restricted agent, against the list's `.count()`.
Derandomized: the same examples on every run.
"""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.models import (
    Conversation,
    ConversationRead,
    ConversationTally,
    ReadTally,
    Team,
    TeamMember,
)
from inbox.selectors.conversations import ConversationFilters, conversation_queryset
from inbox.selectors.counts import sidebar_counts, tally_answers
from inbox.services.tallies import tally_fold
from tests.factories import (
    ChannelFactory,
    ConversationFactory,
    LabelFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

STATUSES = ["open", "pending", "resolved", "snoozed"]

conversations = st.lists(
    st.tuples(
        st.sampled_from(STATUSES),
        st.integers(0, 2),  # assignee: none, the agent, the admin
        st.integers(0, 2),  # team: none, sales, support
        st.sampled_from(["messages", "messages", "comments"]),
        st.integers(0, 1),  # channel
        st.sets(st.integers(0, 2), max_size=3),  # labels
        st.booleans(),  # read by the agent
        st.booleans(),  # read by the owner
        st.booleans(),  # a customer message
    ),
    min_size=0,
    max_size=12,
)
changes = st.lists(
    st.tuples(
        st.sampled_from(
            ["status", "assignee", "team", "kind", "channel", "label+", "label-", "delete",
             "bulk status", "fold", "delete label", "read", "unread", "customer writes",
             "no customer message", "bulk customer writes", "labels set", "labels clear"]
        ),
        st.integers(0, 11),  # which conversation (or label)
        st.integers(0, 3),  # the new value
    ),
    max_size=10,
)  # fmt: skip
filter_sets = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["open", "pending", "resolved", "snoozed", "all"]),
        "assignee": st.sampled_from(["me", "unassigned", "all", "admin"]),
        "team": st.sampled_from(["sales", "support", "none"]),
        "kind": st.sampled_from(["messages", "comments"]),
        "channel": st.integers(0, 1),
        "label": st.sets(st.integers(0, 2), min_size=1, max_size=3),
        "unread": st.just("1"),
    },
)


def _world(rows):
    tenant, other = TenantFactory(), TenantFactory()
    agent, admin = UserFactory(), UserFactory()
    MembershipFactory(tenant=tenant, user=agent, role="agent")
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    owner = UserFactory()
    MembershipFactory(tenant=tenant, user=owner, role="owner")
    channels = [ChannelFactory(tenant=tenant), ChannelFactory(tenant=tenant)]
    labels = [LabelFactory(tenant=tenant) for _ in range(3)]
    teams = [Team.objects.create(tenant=tenant, name=n) for n in ("sales", "support")]
    TeamMember.objects.create(tenant=tenant, team=teams[0], user=agent)
    convs = []
    for status, assignee, team, kind, channel, chosen, read, owner_read, wrote in rows:
        conv = ConversationFactory(
            tenant=tenant,
            channel=channels[channel],
            status=status,
            assignee=[None, agent, admin][assignee],
            team=[None, *teams][team],
            kind=kind,
            last_customer_message_at=timezone.now() if wrote else None,
        )
        conv.labels.add(*[labels[i] for i in chosen])
        for reader, did in ((agent, read), (owner, owner_read)):
            if did:
                ConversationRead.objects.create(
                    tenant=tenant, conversation=conv, user=reader, last_read_at=timezone.now()
                )
        convs.append(conv)
    foreign = ConversationFactory(tenant=other)  # same groups in another tenant: not counted
    foreign.labels.add(LabelFactory(tenant=other))
    return {
        "tenant": tenant, "agent": agent, "admin": admin, "owner": owner, "channels": channels,
        "labels": labels, "teams": teams, "convs": convs,
    }  # fmt: skip


def _change(w, what, which, value):
    alive = [c for c in w["convs"] if Conversation.objects.filter(pk=c.pk).exists()]
    if what == "fold":
        tally_fold()
        return
    if what == "delete label":  # its links go with it; a new label takes its place
        w["labels"][which % 3].delete()
        w["labels"][which % 3] = LabelFactory(tenant=w["tenant"])
        return
    if not alive:
        return
    conv = alive[which % len(alive)]
    if what == "status":
        conv.status = STATUSES[value]
        conv.save()
    elif what == "assignee":
        conv.assignee = [None, w["agent"], w["admin"], None][value]
        conv.save(update_fields=["assignee"])
    elif what == "team":
        conv.team = [None, *w["teams"], None][value]
        conv.save()
    elif what == "kind":
        Conversation.objects.filter(pk=conv.pk).update(kind=["messages", "comments"][value % 2])
    elif what == "channel":
        Conversation.objects.filter(pk=conv.pk).update(channel=w["channels"][value % 2])
    elif what == "label+":
        conv.labels.add(w["labels"][value % 3])
    elif what == "label-":
        conv.labels.remove(w["labels"][value % 3])
    elif what == "labels set":  # one statement adds several links, another removes several
        conv.labels.set([w["labels"][i] for i in range(3) if i != value % 3])
    elif what == "labels clear":
        conv.labels.clear()
    elif what == "delete":
        conv.delete()
    elif what == "bulk status":
        Conversation.objects.filter(tenant=w["tenant"]).update(status=STATUSES[value])
    elif what == "read":  # the agent or the owner reads it (up to, or short of, the last)
        reader = [w["agent"], w["owner"]][value % 2]
        last = conv.last_customer_message_at or timezone.now()
        moment = last - timedelta(seconds=1) if value >= 2 else last
        ConversationRead.objects.update_or_create(
            conversation=conv, user=reader, defaults={"tenant": w["tenant"], "last_read_at": moment}
        )
    elif what == "unread":  # a read marker goes
        marker = ConversationRead.objects.filter(conversation=conv).order_by("pk").first()
        if marker:
            marker.delete()
    elif what == "customer writes":
        conv.last_customer_message_at = (conv.last_customer_message_at or timezone.now()) + (
            timedelta(seconds=value)
        )
        conv.save(update_fields=["last_customer_message_at"])
    elif what == "no customer message":
        Conversation.objects.filter(pk=conv.pk).update(last_customer_message_at=None)
        conv.last_customer_message_at = None
    elif what == "bulk customer writes":
        Conversation.objects.filter(tenant=w["tenant"]).update(
            last_customer_message_at=timezone.now()
        )


def _filters(w, drawn) -> ConversationFilters:
    query = dict(drawn)
    if "assignee" in query and query["assignee"] == "admin":
        query["assignee"] = str(w["admin"].pk)
    if "team" in query and query["team"] != "none":
        query["team"] = str(w["teams"][0 if query["team"] == "sales" else 1].pk)
    if "channel" in query:
        query["channel"] = str(w["channels"][query["channel"]].pk)
    if "label" in query:
        query["label"] = [str(w["labels"][i].pk) for i in query["label"]]
    return ConversationFilters.from_querydict(query)


def _assert_counts_equal_lists(w, user, filters):
    tenant = w["tenant"]
    membership = tenant.memberships.get(user=user)
    team_ids = [t.pk for t in w["teams"]]
    with CaptureQueriesContext(connection) as ctx:
        counts = sidebar_counts(
            tenant=tenant, user=user, membership=membership, filters=filters, team_ids=team_ids
        )
    assert len(ctx.captured_queries) == 1  # every count in one statement
    assert {f"team:{t}" for t in team_ids} <= set(counts)
    for key, count in counts.items():
        kind, _sep, value = key.partition(":")
        change = {"unread_only": True} if kind == "unread" else {kind: value}
        listed = conversation_queryset(
            tenant=tenant, user=user, membership=membership, filters=filters.replace(**change)
        ).count()
        assert count.value == listed, (key, filters)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=conversations,
    steps=changes,
    drawn=st.lists(filter_sets, min_size=1, max_size=2),
    restricted=st.sampled_from([None, "own", "own and team"]),
)
def test_every_count_equals_its_list_after_random_changes(db, rows, steps, drawn, restricted):
    with transaction.atomic():
        w = _world(rows)
        for what, which, value in steps:
            _change(w, what, which, value)
        if restricted:
            w["tenant"].agents_see_all = False
            w["tenant"].agents_see_team = restricted == "own and team"
            w["tenant"].save()
        for filters in [ConversationFilters(), *(_filters(w, d) for d in drawn)]:
            for user in (w["owner"], w["agent"]):
                _assert_counts_equal_lists(w, user, filters)
        transaction.set_rollback(True)


def test_the_tally_answers_label_team_channel_filters_and_folds_to_one_row_per_group(
    tenant_a, owner_a
):
    labels = [LabelFactory(tenant=tenant_a) for _ in range(2)]
    team = Team.objects.create(tenant=tenant_a, name="sales")
    channel = ChannelFactory(tenant=tenant_a)
    convs = [ConversationFactory(tenant=tenant_a, channel=channel, team=team) for _ in range(5)]
    for conv in convs:
        conv.labels.add(labels[0])
    convs[0].labels.add(labels[1])
    convs[1].status = "pending"
    convs[1].save()
    for query in ({"label": [labels[0].pk]}, {"team": team.pk}, {"channel": convs[0].channel_id}):
        assert tally_answers(ConversationFilters.from_querydict(query))
    assert tally_answers(
        ConversationFilters.from_querydict({"label": [labels[0].pk, labels[1].pk]})
    )
    assert not tally_answers(
        ConversationFilters.from_querydict({"label": [labels[0].pk, labels[1].pk, 1]})
    )
    assert tally_answers(ConversationFilters.from_querydict({"unread": "1", "label": 1}))
    assert not tally_answers(ConversationFilters.from_querydict({"from_ad": "1"}))

    def counts():
        membership = tenant_a.memberships.get(user=owner_a)
        filters = ConversationFilters.from_querydict({"label": [labels[0].pk]})
        found = sidebar_counts(
            tenant=tenant_a, user=owner_a, membership=membership, filters=filters,
            team_ids=[team.pk],
        )  # fmt: skip
        return {k: v.value for k, v in found.items()}

    before = counts()
    assert before["status:open"] == 4 and before["status:pending"] == 1
    assert before[f"team:{team.pk}"] == 4  # the open ones, as the team's list shows
    changed = ConversationTally.objects.filter(tenant_id=tenant_a.pk, folded=False).count()
    changed += ReadTally.objects.filter(tenant_id=tenant_a.pk, folded=False).count()
    assert changed > 0
    assert tally_fold() == changed
    assert not ConversationTally.objects.filter(tenant_id=tenant_a.pk, folded=False).exists()
    groups = ConversationTally.objects.filter(tenant_id=tenant_a.pk)
    # every conversation (label 0) and the first label, open and pending; the second and the
    # pair of both, open
    assert groups.count() == 6
    assert counts() == before
    convs[1].delete()
    convs[0].labels.clear()
    assert counts()["status:pending"] == 0 and counts()["status:open"] == 3
    tally_fold()
    assert counts()["status:open"] == 3
    assert not groups.filter(n=0).exists()  # empty groups are dropped by the fold


def test_two_labels_in_a_query_string_are_both_kept_and_counted_from_their_pair(tenant_a, owner_a):
    """`?label=A&label=B` (a QueryDict, which is a dict whose items() keep only the last
    value) filters by both labels; the counts come from the pair's groups."""
    from django.http import QueryDict

    a, b = LabelFactory(tenant=tenant_a), LabelFactory(tenant=tenant_a)
    both = ConversationFactory(tenant=tenant_a)
    both.labels.add(a, b)
    ConversationFactory(tenant=tenant_a).labels.add(a)
    ConversationFactory(tenant=tenant_a).labels.add(b)
    filters = ConversationFilters.from_querydict(QueryDict(f"label={a.pk}&label={b.pk}"))
    assert filters.label_ids == tuple(sorted((a.pk, b.pk)))
    membership = tenant_a.memberships.get(user=owner_a)
    counts = sidebar_counts(tenant=tenant_a, user=owner_a, membership=membership, filters=filters)
    listed = conversation_queryset(
        tenant=tenant_a, user=owner_a, membership=membership, filters=filters
    )
    assert [c.pk for c in listed] == [both.pk]
    assert counts["status:open"].value == 1 and counts["unread"].value == 1
    both.labels.remove(b)
    counts = sidebar_counts(tenant=tenant_a, user=owner_a, membership=membership, filters=filters)
    assert counts["status:open"].value == 0
