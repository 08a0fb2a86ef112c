"""The search box through the view: pages follow each other (infinite scroll), a restricted
agent only finds what they may open, and the list's `q` finds old conversations too."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Message
from inbox.selectors.search import search_messages
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def _hit_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r"#msg-(\d+)", html)]


def _more_url(html: str) -> str | None:
    match = re.search(r'class="search-more" hx-get="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_scrolling_the_results_continues_where_the_last_page_ended(tenant_a, owner_a, client_for):
    conv = ConversationFactory(tenant=tenant_a)
    now = timezone.now()
    made = []
    for i in range(45):
        m = MessageFactory(conversation=conv, text=f"Ship cod giúp mình nhé #{i}")
        Message.objects.filter(pk=m.pk).update(created_at=now - timedelta(days=400 - i))
        made.append(m.pk)
    MessageFactory(conversation=conv, text="nothing to do with it")
    client = client_for(owner_a)
    html = client.get(f"/t/{tenant_a.slug}/inbox/search/", {"q": "ship cod giup"}).content.decode()
    seen = _hit_ids(html)
    url = _more_url(html)
    while url:
        html = client.get(url).content.decode()
        assert "Results for" not in html  # only the next rows, appended to the list
        seen += _hit_ids(html)
        url = _more_url(html)
    assert seen == list(reversed(made))  # newest first, each once, the whole history


def test_a_restricted_agent_finds_only_conversations_they_may_open(
    tenant_a, owner_a, agent_a, admin_a, client_for
):
    tenant_a.agents_see_all = False
    tenant_a.save()
    mine = ConversationFactory(tenant=tenant_a, assignee=agent_a)
    theirs = ConversationFactory(tenant=tenant_a, assignee=admin_a)
    visible = MessageFactory(conversation=mine, text="kem chống nắng còn không")
    MessageFactory(conversation=theirs, text="kem chống nắng giá bao nhiêu")
    html = client_for(agent_a).get(f"/t/{tenant_a.slug}/inbox/search/", {"q": "kem chong nang"})
    assert _hit_ids(html.content.decode()) == [visible.pk]
    owner_html = client_for(owner_a).get(
        f"/t/{tenant_a.slug}/inbox/search/", {"q": "kem chong nang"}
    )
    assert len(_hit_ids(owner_html.content.decode())) == 2


def test_the_list_and_the_api_q_find_a_conversation_by_a_word_from_long_ago(
    tenant_a, owner_a, client_for
):
    old = ConversationFactory(tenant=tenant_a, status="resolved")
    m = MessageFactory(conversation=old, text="สั่งหมวกไหมพรมสีเทา")
    Message.objects.filter(pk=m.pk).update(created_at=timezone.now() - timedelta(days=900))
    other = ConversationFactory(tenant=tenant_a, status="resolved")
    assert [h.pk for h in search_messages(tenant=tenant_a, query="หมวกไหมพรม").hits] == [m.pk]
    client = client_for(owner_a)
    params = {"q": "หมวกไหมพรม", "status": "all"}
    html = client.get(f"/t/{tenant_a.slug}/inbox/list/", params).content.decode()
    assert f'data-id="{old.pk}"' in html
    assert f'data-id="{other.pk}"' not in html
    api = client.get("/api/v1/conversations/", params, HTTP_X_PARLEY_TENANT=tenant_a.slug)
    assert [c["id"] for c in api.json()["results"]] == [old.pk]


def test_a_rare_word_search_inside_a_transaction_leaves_the_planner_as_it_was(tenant_a):
    """The trigram step turns index and sequential scans off for its own query only: a caller's
    later queries in the same transaction (a request under ATOMIC_REQUESTS, a service) plan
    normally."""
    from django.db import connection, transaction

    conv = ConversationFactory(tenant=tenant_a)
    rare = MessageFactory(conversation=conv, text="áo khoác lông cừu màu be")
    for i in range(5):
        MessageFactory(conversation=conv, text=f"newer message {i}")
    with transaction.atomic(), connection.cursor() as cursor:
        page = search_messages(tenant=tenant_a, query="long cuu", scan=2, trigram_max=0)
        assert [m.pk for m in page.hits] == [rare.pk]
        assert "trigram index" in page.strategy
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
