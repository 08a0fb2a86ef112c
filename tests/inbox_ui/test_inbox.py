"""The agents' inbox: filters, counts, search, saved views, visibility, actions, queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation, ConversationRead, Message
from inbox.selectors.conversations import ConversationFilters, conversation_queryset
from inbox.selectors.counts import capped_counts, sidebar_counts
from inbox.selectors.search import message_search
from inbox.services import conversations as svc
from tenants.models import Membership
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ConversationFactory,
    LabelFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db


def _ids(qs):
    return set(qs.values_list("pk", flat=True))


def _query(tenant, user, **filters):
    membership = Membership.objects.get(tenant=tenant, user=user)
    return conversation_queryset(
        tenant=tenant,
        user=user,
        membership=membership,
        filters=ConversationFilters.from_querydict(filters),
    )


@pytest.fixture
def world(tenant_a, owner_a, agent_a, admin_a):
    wa = ChannelFactory(tenant=tenant_a, provider="whatsapp")
    tt = ChannelFactory(tenant=tenant_a, provider="tiktok")
    vip = LabelFactory(tenant=tenant_a, name="vip")
    hot = LabelFactory(tenant=tenant_a, name="hot")
    now = timezone.now()
    c = {}
    c["open_mine"] = ConversationFactory(tenant=tenant_a, channel=wa, assignee=agent_a)
    c["open_free"] = ConversationFactory(tenant=tenant_a, channel=tt)
    c["open_admin"] = ConversationFactory(tenant=tenant_a, channel=wa, assignee=admin_a)
    c["pending"] = ConversationFactory(tenant=tenant_a, channel=wa, status="pending")
    c["resolved"] = ConversationFactory(tenant=tenant_a, channel=tt, status="resolved")
    c["snoozed"] = ConversationFactory(
        tenant=tenant_a, channel=wa, status="snoozed", snoozed_until=now + timedelta(hours=1)
    )
    c["ad"] = ConversationFactory(
        tenant=tenant_a, channel=tt, source="tiktok_ad", campaign_id="cmp-1", campaign_name="Sale"
    )
    c["ad2"] = ConversationFactory(
        tenant=tenant_a, channel=tt, source="meta_ad", campaign_id="cmp-2"
    )
    c["open_mine"].labels.add(vip, hot)
    c["open_free"].labels.add(vip)
    return {"wa": wa, "tt": tt, "vip": vip, "hot": hot, "c": c}


def test_status_filter(world, tenant_a, owner_a):
    c = world["c"]
    assert _ids(_query(tenant_a, owner_a, status="pending")) == {c["pending"].pk}
    assert _ids(_query(tenant_a, owner_a, status="resolved")) == {c["resolved"].pk}
    assert _ids(_query(tenant_a, owner_a, status="snoozed")) == {c["snoozed"].pk}
    assert len(_ids(_query(tenant_a, owner_a, status="all"))) == 8
    assert c["resolved"].pk not in _ids(_query(tenant_a, owner_a))  # default: open


def test_assignee_filter(world, tenant_a, owner_a, agent_a):
    c = world["c"]
    assert _ids(_query(tenant_a, agent_a, assignee="me")) == {c["open_mine"].pk}
    unassigned = _ids(_query(tenant_a, owner_a, assignee="unassigned"))
    assert c["open_free"].pk in unassigned and c["open_mine"].pk not in unassigned
    assert _ids(_query(tenant_a, owner_a, assignee=str(agent_a.pk))) == {c["open_mine"].pk}


def test_channel_label_unread_ad_campaign_filters(world, tenant_a, owner_a):
    c = world["c"]
    assert c["open_free"].pk in _ids(_query(tenant_a, owner_a, channel=world["tt"].pk))
    assert c["open_mine"].pk not in _ids(_query(tenant_a, owner_a, channel=world["tt"].pk))
    assert _ids(_query(tenant_a, owner_a, label=[world["vip"].pk])) == {
        c["open_mine"].pk,
        c["open_free"].pk,
    }
    both = _query(tenant_a, owner_a, label=[world["vip"].pk, world["hot"].pk])
    assert _ids(both) == {c["open_mine"].pk}
    assert _ids(_query(tenant_a, owner_a, from_ad="1")) == {c["ad"].pk, c["ad2"].pk}
    assert _ids(_query(tenant_a, owner_a, campaign="cmp-1")) == {c["ad"].pk}
    # unread: everything the owner has not read; read one, it drops out.
    svc.conversation_mark_read(conversation=c["ad"], user=owner_a)
    unread = _ids(_query(tenant_a, owner_a, unread="1"))
    assert c["ad"].pk not in unread and c["ad2"].pk in unread
    svc.conversation_mark_unread(conversation=c["ad"], user=owner_a)
    assert c["ad"].pk in _ids(_query(tenant_a, owner_a, unread="1"))


def test_has_signal_filter_keeps_the_conversations_with_a_signal(world, tenant_a, owner_a):
    from signals_app.models import SignalReport

    assert _ids(_query(tenant_a, owner_a, has_signal="1")) == set()
    signalled = world["c"]["open_free"]
    SignalReport.objects.create(
        tenant=tenant_a,
        conversation=signalled,
        signal="payment",
        event_name="Purchase",
        event_id=f"test-{signalled.pk}",
    )
    assert _ids(_query(tenant_a, owner_a, has_signal="1")) == {signalled.pk}


def test_agents_see_only_their_own_when_the_tenant_says_so(world, tenant_a, agent_a, owner_a):
    c = world["c"]
    assert c["open_admin"].pk in _ids(_query(tenant_a, agent_a))
    tenant_a.agents_see_all = False
    tenant_a.save()
    seen = _ids(_query(tenant_a, agent_a, status="all"))
    assert c["open_admin"].pk not in seen
    assert {c["open_mine"].pk, c["open_free"].pk} <= seen
    assert c["open_admin"].pk in _ids(_query(tenant_a, owner_a))  # owners still see all


def test_restricted_agent_gets_404_on_someone_elses_conversation(
    world, tenant_a, agent_a, client_for
):
    tenant_a.agents_see_all = False
    tenant_a.save()
    client = client_for(agent_a)
    other = world["c"]["open_admin"]
    url = f"/t/{tenant_a.slug}/inbox/c/{other.pk}/"
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
    assert client.post(url + "status/", {"status": "resolved"}).status_code == 404
    mine = world["c"]["open_mine"]
    assert (
        client.get(f"/t/{tenant_a.slug}/inbox/c/{mine.pk}/", HTTP_HX_REQUEST="true").status_code
        == 200
    )


def test_counts_are_capped_and_come_in_one_query(world, tenant_a, owner_a):
    membership = Membership.objects.get(tenant=tenant_a, user=owner_a)
    with CaptureQueriesContext(connection) as ctx:
        counts = sidebar_counts(
            tenant=tenant_a, user=owner_a, membership=membership, filters=ConversationFilters()
        )
    assert len(ctx.captured_queries) == 1
    assert counts["status:open"].value == 5  # open_mine, open_free, open_admin, ad, ad2
    assert counts["status:pending"].value == 1
    qs = Conversation.objects.for_tenant(tenant_a)
    capped = capped_counts({"all": qs}, cap=3)["all"]
    assert capped.capped and str(capped) == "3+"


def test_search_finds_thai_vietnamese_without_accents_and_english(tenant_a, owner_a):
    conv = ConversationFactory(tenant=tenant_a)
    thai = MessageFactory(conversation=conv, text="สวัสดีครับ ขอราคาเสื้อสีแดงไซส์ใหญ่หน่อยครับ")
    viet = MessageFactory(conversation=conv, text="Cho tôi hỏi giá áo màu đỏ được không?")
    eng = MessageFactory(conversation=conv, text="Do you ship to Chiang Mai?")
    old = MessageFactory(conversation=conv, text="an ancient question about umbrellas")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=900))
    MessageFactory(conversation=conv, text="nothing to see")
    visible = Conversation.objects.for_tenant(tenant_a)

    def found(q):
        return {m.pk for m in message_search(tenant=tenant_a, conversations=visible, query=q)}

    assert found("เสื้อสีแดง") == {thai.pk}  # a Thai word inside Thai text
    assert found("gia ao mau do") == {viet.pk}  # Vietnamese typed without accents
    assert found("GIÁ ÁO") == {viet.pk}
    assert found("chiang") == {eng.pk}
    assert found("umbrella") == {old.pk}  # whole history
    assert found("x") == set()


def test_search_matches_contact_names_phones_emails(tenant_a, owner_a):
    contact = ContactFactory(
        tenant=tenant_a, name="Nguyễn Văn Đức", phone="+84 912 345 678", email="duc@example.vn"
    )
    conv = ConversationFactory(tenant=tenant_a, contact=contact)
    ConversationFactory(tenant=tenant_a)
    for q in ("nguyen van duc", "912 345", "duc@example"):
        assert _ids(_query(tenant_a, owner_a, q=q)) == {conv.pk}, q


def test_search_is_tenant_scoped(tenant_a, tenant_b, owner_a):
    MessageFactory(conversation=ConversationFactory(tenant=tenant_b), text="secret banana")
    visible = Conversation.objects.for_tenant(tenant_a)
    assert message_search(tenant=tenant_a, conversations=visible, query="banana") == []


def test_viewer_may_look_but_not_act(world, tenant_a, viewer_a, client_for):
    client = client_for(viewer_a)
    conv = world["c"]["open_free"]
    base = f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/"
    assert client.get(f"/t/{tenant_a.slug}/inbox/").status_code == 200
    assert client.get(base, HTTP_HX_REQUEST="true").status_code == 200
    for action, data in [
        ("assign/", {"assignee": "me"}),
        ("status/", {"status": "resolved"}),
        ("priority/", {"priority": "3"}),
        ("labels/", {"label": world["vip"].pk}),
        ("reply/", {"mode": "note", "text": "hi"}),
    ]:
        assert client.post(base + action, data).status_code == 403, action
    assert (
        client.post(
            f"/t/{tenant_a.slug}/inbox/bulk/",
            {"action": "status", "value": "resolved", "ids": [conv.pk]},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/t/{tenant_a.slug}/contacts/{conv.contact_id}/edit/", {"phone": "123456"}
        ).status_code
        == 403
    )


def test_actions_change_the_conversation_and_record_activity(
    world, tenant_a, agent_a, client_for, django_capture_on_commit_callbacks
):
    client = client_for(agent_a)
    conv = world["c"]["open_free"]
    base = f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(base + "assign/", {"assignee": "me"}).status_code == 200
        assert client.post(base + "labels/", {"label": world["hot"].pk}).status_code == 200
        assert client.post(base + "priority/", {"priority": "4"}).status_code == 200
        assert (
            client.post(base + "reply/", {"mode": "note", "text": "<b>call back</b>"}).status_code
            == 200
        )
        r = client.post(base + "status/", {"status": "resolved"})
    assert r.status_code == 200
    conv.refresh_from_db()
    assert conv.assignee == agent_a and conv.status == "resolved" and conv.priority == 4
    assert world["hot"] in conv.labels.all()
    kinds = list(Message.objects.filter(conversation=conv).values_list("kind", flat=True))
    assert kinds.count("activity") == 4 and kinds.count("note") == 1
    assert "&lt;b&gt;call back&lt;/b&gt;" in r.content.decode()
    r = client.post(base + "labels/", {"label": world["hot"].pk, "op": "remove"})
    assert world["hot"] not in conv.labels.all()


def test_snooze_needs_a_future_time_and_wakes_up(world, tenant_a, agent_a, client_for):
    client = client_for(agent_a)
    conv = world["c"]["open_free"]
    base = f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/"
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert (
        client.post(base + "status/", {"status": "snoozed", "snoozed_until": past}).status_code
        == 422
    )
    future = timezone.now() + timedelta(minutes=5)
    svc.conversation_set_status(
        conversation=conv, status="snoozed", actor=agent_a, snoozed_until=future
    )
    assert svc.conversations_wake_snoozed(now=timezone.now()) == 0
    assert svc.conversations_wake_snoozed(now=future + timedelta(seconds=1)) >= 1
    conv.refresh_from_db()
    assert conv.status == "open" and conv.snoozed_until is None


def test_bulk_actions(world, tenant_a, agent_a, client_for):
    client = client_for(agent_a)
    ids = [world["c"]["open_free"].pk, world["c"]["ad"].pk]
    url = f"/t/{tenant_a.slug}/inbox/bulk/"
    assert (
        client.post(url, {"action": "status", "value": "resolved", "ids": ids}).json()["done"] == 2
    )
    assert set(Conversation.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "resolved"
    }
    client.post(url, {"action": "label_add", "value": world["hot"].pk, "ids": ids})
    assert Conversation.objects.filter(pk__in=ids, labels=world["hot"]).count() == 2
    client.post(url, {"action": "assign", "value": "me", "ids": ids})
    assert Conversation.objects.filter(pk__in=ids, assignee=agent_a).count() == 2
    client.post(url, {"action": "read", "value": "", "ids": ids})
    assert ConversationRead.objects.filter(user=agent_a, conversation_id__in=ids).count() == 2


def test_contact_edit_validates(world, tenant_a, agent_a, client_for):
    client = client_for(agent_a)
    contact = world["c"]["open_free"].contact
    url = f"/t/{tenant_a.slug}/contacts/{contact.pk}/edit/"
    assert client.post(url, {"email": "nope"}).status_code == 422
    assert client.post(url, {"phone": "+66 81 234 5678", "email": "a@b.co"}).status_code == 200
    contact.refresh_from_db()
    assert contact.phone == "+66 81 234 5678" and contact.email == "a@b.co"


def test_customer_text_is_escaped_everywhere(tenant_a, owner_a, client_for):
    contact = ContactFactory(tenant=tenant_a, name="<script>alert(1)</script>")
    conv = ConversationFactory(
        tenant=tenant_a, contact=contact, last_message_preview="<img src=x onerror=alert(2)>"
    )
    MessageFactory(conversation=conv, text="<img src=x onerror=alert(3)>")
    client = client_for(owner_a)
    pages = [
        client.get(f"/t/{tenant_a.slug}/inbox/?c={conv.pk}").content.decode(),
        client.get(
            f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/", HTTP_HX_REQUEST="true"
        ).content.decode(),
        client.get(f"/t/{tenant_a.slug}/inbox/search/?q=onerror").content.decode(),
        client.get(f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/contact/").content.decode(),
    ]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page


def _make_conversations(tenant, n):
    channel = ChannelFactory(tenant=tenant)
    label = LabelFactory(tenant=tenant)
    for _ in range(n):
        conv = ConversationFactory(tenant=tenant, channel=channel)
        conv.labels.add(label)
        MessageFactory(conversation=conv)


def _queries(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_and_thread_query_counts_do_not_grow_with_page_size(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    client.get(
        f"/t/{tenant_a.slug}/inbox/list/"
    )  # the first visit stores the tenant in the session
    _make_conversations(tenant_a, 3)
    small = _queries(client, f"/t/{tenant_a.slug}/inbox/list/")
    _make_conversations(tenant_a, 25)
    big = _queries(client, f"/t/{tenant_a.slug}/inbox/list/")
    assert small == big
    page_small = _queries(client, f"/t/{tenant_a.slug}/inbox/")
    _make_conversations(tenant_a, 10)
    assert _queries(client, f"/t/{tenant_a.slug}/inbox/") == page_small

    conv = ConversationFactory(tenant=tenant_a)
    MessageFactory(conversation=conv)
    url = f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/"
    client.get(url, HTTP_HX_REQUEST="true")  # the first open creates the read marker
    few = _queries(client, url, HTTP_HX_REQUEST="true")
    for _ in range(30):
        MessageFactory(conversation=conv, author_user=owner_a, direction="out", author_kind="agent")
    assert _queries(client, url, HTTP_HX_REQUEST="true") == few


def test_keyset_pages_walk_the_whole_list_without_duplicates(tenant_a, owner_a, client_for):
    from inbox.selectors.conversations import conversation_page

    same_time = timezone.now()
    channel = ChannelFactory(tenant=tenant_a)
    for _ in range(7):
        ConversationFactory(tenant=tenant_a, channel=channel, last_message_at=same_time)
    membership = Membership.objects.get(tenant=tenant_a, user=owner_a)
    seen, cursor = [], ""
    while True:
        page = conversation_page(
            tenant=tenant_a,
            user=owner_a,
            membership=membership,
            filters=ConversationFilters(),
            cursor=cursor,
            size=3,
        )
        seen += [c.pk for c in page.conversations]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == 7 == len(set(seen))


def test_thread_loads_older_pages(tenant_a, owner_a, client_for):
    from inbox.selectors.thread import thread_page

    conv = ConversationFactory(tenant=tenant_a)
    start = timezone.now() - timedelta(hours=1)
    msgs = [
        MessageFactory(conversation=conv, created_at=start + timedelta(seconds=i))
        for i in range(95)
    ]
    page = thread_page(conversation=conv, size=40)
    assert [m.pk for m in page.messages] == [m.pk for m in msgs[-40:]]
    older = thread_page(conversation=conv, before=page.older_cursor, size=40)
    assert [m.pk for m in older.messages] == [m.pk for m in msgs[15:55]]
    r = client_for(owner_a).get(
        f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/messages/?before={page.older_cursor}"
    )
    assert r.status_code == 200 and f"msg-{msgs[20].pk}" in r.content.decode()


def test_changes_and_rows_catch_up(world, tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    conv = world["c"]["open_free"]
    Conversation.objects.filter(pk=conv.pk).update(
        last_message_at=timezone.now() + timedelta(seconds=10)
    )
    data = client.get(f"/t/{tenant_a.slug}/inbox/changes/", {"since": since}).json()
    assert conv.pk in data["conversation_ids"]
    html = client.get(f"/t/{tenant_a.slug}/inbox/rows/", {"ids": str(conv.pk)}).content.decode()
    assert f'id="conv-{conv.pk}"' in html
    html = client.get(
        f"/t/{tenant_a.slug}/inbox/rows/", {"ids": str(conv.pk), "status": "resolved"}
    ).content.decode()
    assert f'id="conv-{conv.pk}"' not in html


def test_demo_volume_seeds_once(tenant_a, agent_a):
    from inbox.demo import seed_inbox_volume

    ChannelFactory(tenant=tenant_a, provider="tiktok")
    assert seed_inbox_volume(tenant_a, conversations=40, messages=200) == 40
    assert seed_inbox_volume(tenant_a, conversations=40, messages=200) == 0
    assert Conversation.objects.for_tenant(tenant_a).count() == 40
    assert Message.objects.for_tenant(tenant_a).count() == 200
    visible = Conversation.objects.for_tenant(tenant_a)
    assert message_search(tenant=tenant_a, conversations=visible, query="shop")


def test_unassign_from_the_thread(world, tenant_a, agent_a, client_for):
    conv = world["c"]["open_mine"]
    r = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/assign/", {"assignee": "none"}
    )
    assert r.status_code == 200
    conv.refresh_from_db()
    assert conv.assignee is None


def test_composer_shows_the_reply_window_and_canned_responses(tenant_a, agent_a, client_for):
    from inbox.automation.models import CannedResponse

    CannedResponse.objects.create(tenant=tenant_a, shortcut="thanks", text="Thank you <3")
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp")
    open_conv = ConversationFactory(tenant=tenant_a, channel=channel)
    closed = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        last_customer_message_at=timezone.now() - timedelta(days=3),
    )
    client = client_for(agent_a)
    page = client.get(
        f"/t/{tenant_a.slug}/inbox/c/{open_conv.pk}/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Reply window open" in page and "data-closes-at" in page
    assert '"shortcut": "thanks"' in page and "Thank you \\u003C3" in page  # JSON, escaped
    page = client.get(
        f"/t/{tenant_a.slug}/inbox/c/{closed.pk}/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Replies are closed" in page
    assert 'value="reply" disabled' in page
    r = client.post(f"/t/{tenant_a.slug}/inbox/c/{closed.pk}/reply/", {"text": "hello"})
    assert r.status_code == 422 and "24" in r.content.decode()


def test_changes_notice_a_delivery_status_in_the_open_thread(tenant_a, owner_a, client_for):
    conv = ConversationFactory(tenant=tenant_a)
    message = MessageFactory(conversation=conv, direction="out", author_kind="agent")
    since = (timezone.now() + timedelta(seconds=30)).isoformat()  # after the overlap window
    url = f"/t/{tenant_a.slug}/inbox/changes/"
    client = client_for(owner_a)
    assert client.get(url, {"since": since, "open": conv.pk}).json()["thread_changed"] is False
    Message.objects.filter(pk=message.pk).update(
        status="delivered", updated_at=timezone.now() + timedelta(minutes=1)
    )
    data = client.get(url, {"since": since, "open": conv.pk}).json()
    assert data["thread_changed"] is True and data["conversation_ids"] == []
    html = client.get(
        f"/t/{tenant_a.slug}/inbox/c/{conv.pk}/changes/", {"since": since}
    ).content.decode()
    assert f'id="msg-{message.pk}"' in html and "Delivered" in html


def test_counts_with_a_label_filter_match_the_lists(world, tenant_a, owner_a, agent_a):
    membership = Membership.objects.get(tenant=tenant_a, user=agent_a)
    for extra in ({}, {"assignee": "me"}, {"status": "all"}, {"unread": "1"}):
        filters = ConversationFilters.from_querydict({"label": [world["vip"].pk], **extra})
        counts = sidebar_counts(
            tenant=tenant_a, user=agent_a, membership=membership, filters=filters
        )
        for key, count in counts.items():
            kind, _sep, value = key.partition(":")
            changes = {"unread_only": True} if kind == "unread" else {kind: value}
            expected = conversation_queryset(
                tenant=tenant_a, user=agent_a, membership=membership,
                filters=filters.replace(**changes),
            ).count()  # fmt: skip
            assert count.value == expected, (extra, key)
