"""The sidebar's "Hidden comments" count: exact (capped like every count), equal to the list
it links to, in the one counting query, with and without a label filter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.models import Comment, Label
from inbox.selectors.conversations import ConversationFilters, conversation_queryset
from inbox.selectors.counts import sidebar_counts
from inbox.services.comments import comment_set_hidden
from inbox.simulator.payloads import simulate_comment
from tenants.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def comments(messenger_channel, django_capture_on_commit_callbacks):
    names = ["Lan", "Minh", "Somchai", "Dewi"]
    with django_capture_on_commit_callbacks(execute=True):
        for i, name in enumerate(names):
            simulate_comment(
                channel=messenger_channel, post_id="5550001", name=name, text=f"sđt 0912 345 67{i}"
            )
    stored = list(Comment.objects.filter(is_own=False).order_by("id"))
    assert len({c.conversation_id for c in stored}) == len(names)
    for comment in stored[:2]:  # hidden by the shop, through the provider
        comment_set_hidden(comment=comment, hidden=True)
    return stored


def _counts(tenant, user, **query):
    membership = Membership.objects.get(tenant=tenant, user=user)
    filters = ConversationFilters.from_querydict(query)
    counts = sidebar_counts(tenant=tenant, user=user, membership=membership, filters=filters)
    listed = conversation_queryset(
        tenant=tenant, user=user, membership=membership, filters=filters.replace(hidden=True)
    ).count()
    return counts["hidden:1"], listed


def test_the_hidden_count_equals_the_hidden_list(tenant_a, owner_a, comments):
    count, listed = _counts(tenant_a, owner_a)
    assert count.value == listed == 2 and not count.capped
    membership = Membership.objects.get(tenant=tenant_a, user=owner_a)
    with CaptureQueriesContext(connection) as ctx:
        sidebar_counts(
            tenant=tenant_a, user=owner_a, membership=membership, filters=ConversationFilters()
        )
    assert len(ctx.captured_queries) == 1  # still every count in one capped query
    comment_set_hidden(comment=Comment.objects.get(pk=comments[0].pk), hidden=False)
    assert _counts(tenant_a, owner_a)[0].value == 1


def test_the_hidden_count_with_other_filters_and_a_label(tenant_a, owner_a, comments):
    label = Label.objects.create(tenant=tenant_a, name="vip")
    comments[0].conversation.labels.add(label)
    comments[2].conversation.labels.add(label)
    for query in ({"kind": "comments"}, {"kind": "messages"}, {"label": [label.pk]}):
        count, listed = _counts(tenant_a, owner_a, **query)
        assert count.value == listed, query
    assert _counts(tenant_a, owner_a, label=[label.pk])[0].value == 1


def test_the_sidebar_shows_the_hidden_count_and_links_to_the_list(
    tenant_a, owner_a, comments, client_for
):
    client = client_for(owner_a)
    page = client.get("/t/tenant-a/inbox/").content.decode()
    assert 'data-filter="hidden:1"' in page
    link = page.split('data-filter="hidden:1"', 1)[1].split("</a>", 1)[0]
    assert "Hidden comments" in link and '<span class="count"' in link and ">2</span>" in link
    hidden_list = client.get("/t/tenant-a/inbox/?hidden=1&status=all").content.decode()
    assert "sđt 0912 345 670" in hidden_list and "sđt 0912 345 672" not in hidden_list
