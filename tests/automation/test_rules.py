"""Running auto-reply rules on inbound messages."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.automation import services
from inbox.automation.engine import is_open, render_text
from inbox.automation.models import AutoReplyRule, BusinessHours, Holiday, RuleRun
from inbox.automation.selectors import automation_settings_get, is_outside_business_hours
from inbox.automation.services import rule_runs
from inbox.models import Conversation, Message
from inbox.outbound_webhooks.payloads import conversation_payload
from keywords import clear_matcher_cache
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ConversationFactory,
    LabelFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(autouse=True)
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


@pytest.fixture
def conversation(tenant_a):
    return ConversationFactory(
        tenant=tenant_a,
        contact=ContactFactory(tenant=tenant_a, name="Linh Tran"),
        last_customer_message_at=NOW,
    )


def make_rule(tenant, actor=None, *, keywords=("price",), mode="whole_word", accents=False, **data):
    data.setdefault("name", "Price")
    data.setdefault("reply_text", "Hi {{ contact.first_name }}, prices are on our page.")
    data.setdefault("trigger", "keywords" if keywords else "welcome")
    data.setdefault("cooldown_minutes", 60)
    m2m = {k: data.pop(k) for k in list(data) if k in services.RULE_M2M}
    rule = services.rule_save(
        tenant=tenant,
        actor=actor,
        data=data,
        keywords=list(keywords),
        keyword_mode=mode,
        accent_insensitive=accents,
    )
    for name, values in m2m.items():
        getattr(rule, name).set(values)
    return rule


def inbound(conversation, text, at=NOW, **extra):
    return MessageFactory(conversation=conversation, text=text, created_at=at, **extra)


def run(message, now=NOW):
    return services.automation_run_for_message(message_id=message.pk, now=now)


def bot_replies(conversation):
    return list(
        Message.objects.filter(
            conversation=conversation, kind="message", direction="out", author_kind="bot"
        ).order_by("id")
    )


def activities(conversation):
    return list(
        Message.objects.filter(conversation=conversation, kind="activity").values_list(
            "text", flat=True
        )
    )


# --------------------------------------------------------------------------- keyword replies


def test_a_keyword_message_gets_the_rules_reply_as_the_bot(tenant_a, conversation):
    make_rule(tenant_a)
    runs = run(inbound(conversation, "What's the PRICE?"))
    assert [r.outcome for r in runs] == ["fired"]
    [reply] = bot_replies(conversation)
    assert reply.text == "Hi Linh, prices are on our page."
    assert reply.rule_name == "Price" and reply.author_kind == "bot"


def test_keywords_in_vietnamese_and_thai(tenant_a, conversation):
    make_rule(tenant_a, name="VN", keywords=["thanh toan"], accents=True, reply_text="STK: 123")
    make_rule(tenant_a, name="TH", keywords=["ราคา"], reply_text="ราคา 100 บาท")
    run(inbound(conversation, "Em muốn THANH TOÁN ạ"))
    other = ConversationFactory(tenant=tenant_a, last_customer_message_at=NOW)
    run(inbound(other, "สนใจค่ะราคาเท่าไหร่"))
    assert [m.text for m in bot_replies(conversation)] == ["STK: 123"]
    assert [m.text for m in bot_replies(other)] == ["ราคา 100 บาท"]


def test_no_keyword_no_reply(tenant_a, conversation):
    make_rule(tenant_a)
    assert run(inbound(conversation, "overpriced?")) == []
    assert bot_replies(conversation) == []


def test_all_keywords_logic(tenant_a, conversation):
    make_rule(tenant_a, keywords=["price", "red"], keyword_logic="all")
    run(inbound(conversation, "price please"))
    assert bot_replies(conversation) == []
    run(inbound(conversation, "price of the red one", at=NOW + timedelta(seconds=5)))
    assert len(bot_replies(conversation)) == 1


def test_disabled_rules_do_not_fire(tenant_a, conversation):
    make_rule(tenant_a, enabled=False)
    run(inbound(conversation, "price"))
    assert bot_replies(conversation) == []


# --------------------------------------------------------------------------- order and stop


def test_rules_run_in_priority_order_and_stop_after(tenant_a, conversation):
    make_rule(tenant_a, name="First", reply_text="one", stop_after=True)
    make_rule(tenant_a, name="Second", reply_text="two")
    run(inbound(conversation, "price"))
    assert [m.text for m in bot_replies(conversation)] == ["one"]


def test_without_stop_later_rules_fire_too_in_order(tenant_a, conversation):
    first = make_rule(tenant_a, name="First", reply_text="one", stop_after=False)
    second = make_rule(tenant_a, name="Second", reply_text="two", stop_after=False)
    services.rule_move(tenant=tenant_a, actor=None, rule=second, direction="up")
    runs = run(inbound(conversation, "price"))
    assert [r.rule_id for r in runs] == [second.pk, first.pk]
    assert [m.text for m in bot_replies(conversation)] == ["two", "one"]


# --------------------------------------------------------------------------- safety


def test_never_triggered_by_outbound_bot_echo_or_note_messages(tenant_a, conversation):
    make_rule(tenant_a)
    for extra in (
        {"direction": "out", "author_kind": "agent"},
        {"direction": "out", "author_kind": "bot"},
        {"direction": "in", "author_kind": "system"},
        {"direction": "in", "author_kind": "customer", "kind": "note"},
    ):
        assert run(inbound(conversation, "price", **extra)) == []
    assert not RuleRun.objects.exists()
    assert not Message.objects.filter(conversation=conversation).exclude(rule_name="").exists()


def test_a_redelivered_or_reprocessed_message_never_answers_twice(tenant_a, conversation):
    make_rule(tenant_a, cooldown_minutes=0)
    message = inbound(conversation, "price")
    run(message)
    assert run(message) == []
    assert services.automation_run_for_message(message_id=message.pk) == []
    assert len(bot_replies(conversation)) == 1
    assert RuleRun.objects.filter(message=message).count() == 1


def test_cooldown_per_rule_per_conversation(tenant_a, conversation):
    make_rule(tenant_a, cooldown_minutes=30)
    run(inbound(conversation, "price"))
    second = run(
        inbound(conversation, "price?", at=NOW + timedelta(minutes=10)), NOW + timedelta(minutes=10)
    )
    assert [r.outcome for r in second] == ["cooldown"]
    later = NOW + timedelta(minutes=31)
    run(inbound(conversation, "price!!", at=later), later)
    assert len(bot_replies(conversation)) == 2
    # Another conversation is not affected by the first one's cooldown.
    other = ConversationFactory(tenant=tenant_a, last_customer_message_at=NOW)
    run(inbound(other, "price"))
    assert len(bot_replies(other)) == 1


def test_hourly_cap_on_automatic_replies_per_conversation(tenant_a, conversation):
    settings = automation_settings_get(tenant=tenant_a)
    settings.max_replies_per_hour = 2
    settings.save()
    make_rule(tenant_a, cooldown_minutes=0)
    outcomes = []
    for minute in range(3):
        at = NOW + timedelta(minutes=minute)
        outcomes += [r.outcome for r in run(inbound(conversation, "price", at=at), at)]
    assert outcomes == ["fired", "fired", "capped"]
    assert len(bot_replies(conversation)) == 2
    assert any("skipped" in text for text in activities(conversation))
    at = NOW + timedelta(minutes=70)
    run(inbound(conversation, "price", at=at), at)
    assert len(bot_replies(conversation)) == 3


def test_provider_window_and_tiktok_ten_message_rule_are_respected(tenant_a):
    channel = ChannelFactory(tenant=tenant_a, provider="tiktok")
    conversation = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        last_customer_message_at=NOW,
        business_messages_since_customer=10,
    )
    make_rule(tenant_a)
    [run_] = run(inbound(conversation, "price"))
    assert run_.outcome == "window"
    assert bot_replies(conversation) == []
    assert any("not sent" in text for text in activities(conversation))


def test_whatsapp_window_closed_after_24_hours(tenant_a, monkeypatch):
    monkeypatch.setattr(rule_runs, "STALE_AFTER", timedelta(days=3))
    conversation = ConversationFactory(
        tenant=tenant_a, last_customer_message_at=NOW - timedelta(days=2)
    )
    make_rule(tenant_a)
    message = inbound(conversation, "price", at=NOW - timedelta(days=2))
    assert [r.outcome for r in run(message)] == ["window"]


# --------------------------------------------------------------------------- welcome and away


def test_welcome_only_for_the_first_message_of_a_new_conversation(tenant_a, conversation):
    make_rule(tenant_a, name="Welcome", keywords=(), reply_text="Welcome {{ contact.name }}!")
    run(inbound(conversation, "hello"))
    run(inbound(conversation, "anyone?", at=NOW + timedelta(minutes=1)), NOW + timedelta(minutes=1))
    assert [m.text for m in bot_replies(conversation)] == ["Welcome Linh Tran!"]


def _weekdays_9_to_17(tenant):
    services.business_hours_set(
        tenant=tenant,
        actor=None,
        intervals=[(d, time(9), time(17)) for d in range(5)],
    )


def test_away_fires_outside_business_hours_only(tenant_a, conversation):
    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    _weekdays_9_to_17(tenant_a)
    make_rule(tenant_a, name="Away", keywords=(), trigger="away", reply_text="We're closed")
    # Friday 10:00 UTC = 17:00 in Bangkok: just closed.
    assert [r.outcome for r in run(inbound(conversation, "hi"))] == ["fired"]
    other = ConversationFactory(tenant=tenant_a, last_customer_message_at=NOW)
    at = NOW - timedelta(hours=2)  # 15:00 in Bangkok: open
    assert run(inbound(other, "hi", at=at), at) == []


def test_away_is_skipped_when_an_agent_replied_in_the_last_minutes(tenant_a, conversation):
    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    _weekdays_9_to_17(tenant_a)
    make_rule(tenant_a, name="Away", keywords=(), trigger="away", reply_text="closed")
    MessageFactory(
        conversation=conversation,
        direction="out",
        author_kind="agent",
        text="I'm here",
        created_at=NOW - timedelta(minutes=3),
    )
    assert [r.outcome for r in run(inbound(conversation, "hi"))] == ["agent_active"]
    assert bot_replies(conversation) == []


def test_holidays_close_the_whole_day(tenant_a, conversation):
    _weekdays_9_to_17(tenant_a)
    services.holiday_add(tenant=tenant_a, actor=None, date=date(2026, 11, 20), name="Loy Krathong")
    make_rule(tenant_a, name="Away", keywords=(), trigger="away", reply_text="closed")
    assert is_outside_business_hours(tenant=tenant_a, at=NOW)
    assert [r.outcome for r in run(inbound(conversation, "hi"))] == ["fired"]


def test_without_a_schedule_the_business_is_always_open(tenant_a):
    assert not is_outside_business_hours(tenant=tenant_a, at=NOW)


def test_business_hours_across_a_daylight_saving_change():
    prague = ZoneInfo("Europe/Prague")
    hours = [(d, time(9), time(17)) for d in range(7)]
    # Saturday 28 March 2026, CET (UTC+1): 08:30 UTC is 09:30 local — open.
    assert is_open(
        datetime(2026, 3, 28, 8, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    assert not is_open(
        datetime(2026, 3, 28, 7, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    # Sunday 29 March 2026, CEST (UTC+2) from 02:00: 07:30 UTC is already 09:30 local — open.
    assert is_open(
        datetime(2026, 3, 29, 7, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    assert not is_open(
        datetime(2026, 3, 29, 6, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    # Closing moves too: 15:30 UTC is 17:30 CEST — closed; it was 16:30 CET the day before.
    assert not is_open(
        datetime(2026, 3, 29, 15, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    assert is_open(
        datetime(2026, 3, 28, 15, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    # Back to CET on 25 October 2026.
    assert is_open(
        datetime(2026, 10, 25, 8, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )
    assert not is_open(
        datetime(2026, 10, 24, 6, 30, tzinfo=UTC), zone=prague, intervals=hours, holidays=[]
    )


def test_away_rule_across_the_dst_change_in_the_tenants_timezone(tenant_a, conversation):
    tenant_a.timezone = "Europe/Prague"
    tenant_a.save()
    services.business_hours_set(
        tenant=tenant_a, actor=None, intervals=[(d, time(9), time(17)) for d in range(7)]
    )
    make_rule(
        tenant_a, name="Away", keywords=(), trigger="away", reply_text="closed", cooldown_minutes=0
    )
    at = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)  # 09:30 CEST: open
    assert run(inbound(conversation, "hi", at=at), at) == []
    at = datetime(2026, 3, 28, 7, 30, tzinfo=UTC)  # 08:30 CET: closed
    other = ConversationFactory(tenant=tenant_a, last_customer_message_at=at)
    assert [r.outcome for r in run(inbound(other, "hi", at=at), at)] == ["fired"]


def test_midnight_closing_time_means_end_of_day():
    utc = ZoneInfo("UTC")
    hours = [(4, time(18), time(0))]
    assert is_open(
        datetime(2026, 11, 20, 23, 59, tzinfo=UTC), zone=utc, intervals=hours, holidays=[]
    )
    assert not is_open(
        datetime(2026, 11, 20, 17, 59, tzinfo=UTC), zone=utc, intervals=hours, holidays=[]
    )


# --------------------------------------------------------------------------- conditions


def test_condition_channels(tenant_a, conversation):
    other_channel = ChannelFactory(tenant=tenant_a)
    make_rule(tenant_a, channels=[other_channel])
    run(inbound(conversation, "price"))
    assert bot_replies(conversation) == []


def test_condition_status_and_labels(tenant_a, conversation):
    vip = LabelFactory(tenant=tenant_a, name="VIP")
    spam = LabelFactory(tenant=tenant_a, name="Spam")
    make_rule(tenant_a, statuses=["open"], labels_required=[vip], labels_excluded=[spam])
    run(inbound(conversation, "price"))
    assert bot_replies(conversation) == []  # no VIP label
    conversation.labels.add(vip, spam)
    run(inbound(conversation, "price", at=NOW + timedelta(seconds=1)))
    assert bot_replies(conversation) == []  # has Spam
    conversation.labels.remove(spam)
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    run(inbound(conversation, "price", at=NOW + timedelta(seconds=2)))
    assert bot_replies(conversation) == []  # resolved
    Conversation.objects.filter(pk=conversation.pk).update(status="open")
    run(inbound(conversation, "price", at=NOW + timedelta(seconds=3)))
    assert len(bot_replies(conversation)) == 1


def test_condition_came_from_an_ad(tenant_a, conversation):
    make_rule(tenant_a, from_ad="yes")
    run(inbound(conversation, "price"))
    assert bot_replies(conversation) == []
    ad = ConversationFactory(
        tenant=tenant_a, source="tiktok_ad", ad_id="ad-1", last_customer_message_at=NOW
    )
    run(inbound(ad, "price"))
    assert len(bot_replies(ad)) == 1


# --------------------------------------------------------------------------- actions


def test_actions_labels_status_priority_note_shown_as_done_by_the_bot(tenant_a, conversation):
    hot = LabelFactory(tenant=tenant_a, name="Hot lead")
    new = LabelFactory(tenant=tenant_a, name="New")
    conversation.labels.add(new)
    make_rule(
        tenant_a,
        name="Leads",
        reply_text="",
        add_labels=[hot],
        remove_labels=[new],
        set_status="pending",
        set_priority=3,
        note_text="Asked for {{ contact.first_name }}'s price",
    )
    run(inbound(conversation, "price"))
    conversation.refresh_from_db()
    assert set(conversation.labels.all()) == {hot}
    assert conversation.status == "pending" and conversation.priority == 3
    [activity] = Message.objects.filter(conversation=conversation, kind="activity")
    assert activity.author_kind == "bot" and activity.rule_name == "Leads"
    assert "Hot lead" in activity.text and "New" in activity.text
    [note] = Message.objects.filter(conversation=conversation, kind="note")
    assert note.author_kind == "bot" and note.text == "Asked for Linh's price"


def test_assign_to_an_agent_and_round_robin(tenant_a, agent_a, admin_a, viewer_a):
    make_rule(
        tenant_a,
        name="RR",
        reply_text="",
        assign="round_robin",
        assign_agents=[agent_a, admin_a, viewer_a],  # the viewer may not reply: never chosen
    )
    assignees = []
    for i in range(4):
        conversation = ConversationFactory(tenant=tenant_a, last_customer_message_at=NOW)
        run(inbound(conversation, "price", at=NOW + timedelta(seconds=i)))
        conversation.refresh_from_db()
        assignees.append(conversation.assignee_id)
    first, second = sorted([agent_a.pk, admin_a.pk])
    assert assignees == [first, second, first, second]


def test_reply_variables_use_the_assigned_agent(tenant_a, agent_a, conversation):
    agent_a.first_name = "Anh"
    agent_a.save()
    make_rule(
        tenant_a,
        assign="agent",
        assign_agents=[agent_a],
        reply_text="{{ agent.first_name }} will help you",
    )
    run(inbound(conversation, "price"))
    assert [m.text for m in bot_replies(conversation)] == ["Anh will help you"]


def test_render_text_is_safe_and_supports_defaults():
    values = {"contact.first_name": "", "business.name": "Shop <b>"}
    assert render_text('Hi {{ contact.first_name|default:"there" }}!', values) == "Hi there!"
    assert render_text("{{ business.name }}", values) == "Shop <b>"  # plain text: escaped on pages
    # Only whitelisted names: anything else renders empty or stays literal text.
    assert render_text("[{{ settings.secret_key }}]", values) == "[]"
    assert render_text("{{ contact.tenant.secret }} {{ settings.SECRET_KEY }}", values) == (
        "{{ contact.tenant.secret }} {{ settings.SECRET_KEY }}"
    )
    assert render_text("{% load x %}{{contact.first_name}}", values) == "{% load x %}"


def test_changing_keywords_rebuilds_the_tenant_matcher(tenant_a, conversation):
    rule = make_rule(tenant_a, keywords=["price"])
    run(inbound(conversation, "price"))
    services.rule_save(
        tenant=tenant_a, actor=None, rule=rule, data={"cooldown_minutes": 0}, keywords=["giá"]
    )
    at = NOW + timedelta(minutes=1)
    run(inbound(conversation, "giá?", at=at), at)
    assert len(bot_replies(conversation)) == 2


def test_tenant_isolation_rules_of_another_tenant_never_fire(tenant_a, tenant_b, conversation):
    make_rule(tenant_b, reply_text="from B")
    run(inbound(conversation, "price"))
    assert bot_replies(conversation) == []


def test_business_hours_rows_are_per_tenant(tenant_a, tenant_b):
    _weekdays_9_to_17(tenant_a)
    Holiday.objects.create(tenant=tenant_a, date=date(2026, 11, 20))
    assert BusinessHours.objects.for_tenant(tenant_b).count() == 0
    assert not is_outside_business_hours(tenant=tenant_b, at=NOW)


def test_rule_ordering_model_default(tenant_a):
    make_rule(tenant_a, name="a")
    make_rule(tenant_a, name="b")
    assert [r.name for r in AutoReplyRule.objects.for_tenant(tenant_a)] == ["a", "b"]


def test_a_message_processed_hours_late_gets_no_automatic_action(tenant_a, conversation):
    make_rule(tenant_a)
    message = inbound(conversation, "price", at=NOW - timedelta(hours=7))
    assert run(message) == []
    assert bot_replies(conversation) == []
    assert run(message, NOW + timedelta(hours=1)) == []  # claimed: the sweep won't retry it


def test_conversation_changes_are_announced_after_commit(
    tenant_a, conversation, monkeypatch, django_capture_on_commit_callbacks, webhook_events
):
    events = []
    monkeypatch.setattr("inbox.realtime.broadcast", lambda **kw: events.append(kw["event"]))
    hot = LabelFactory(tenant=tenant_a, name="Hot")
    make_rule(tenant_a, add_labels=[hot])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(inbound(conversation, "price"))
        assert events == []  # nothing before the commit
    assert callbacks
    assert "conversation.updated" in events and "message.created" in events
    updates = [data for _t, kind, data in webhook_events if kind == "conversation.updated"]
    assert len(updates) == 1 and updates[0]["label_ids"] == [hot.pk]
    # The same shape as the inbox's own conversation.updated (tests/channels/test_webhook_payloads)
    assert set(updates[0]) == set(conversation_payload(conversation))


def test_rules_load_every_relation_in_two_queries(
    tenant_a, agent_a, conversation, django_assert_num_queries
):
    """The pipeline loads each tenant's rules once per pass: the relations' ids come as arrays
    with the rules (not one query per relation), and say the same as the related rows."""
    from inbox.automation.engine import RuleData
    from inbox.automation.selectors import rule_list, rules_loaded

    vip, spam, hot, cold = (
        LabelFactory(tenant=tenant_a, name=n) for n in ["VIP", "Spam", "Hot", "Cold"]
    )
    make_rule(
        tenant_a,
        channels=[conversation.channel, ChannelFactory(tenant=tenant_a)],
        labels_required=[vip],
        labels_excluded=[spam],
        add_labels=[hot, cold],
        remove_labels=[vip],
        assign_agents=[agent_a],
    )
    make_rule(tenant_a, name="Bare", keywords=("hello", "xin chào"))

    with django_assert_num_queries(2):
        loaded = rules_loaded(tenant=tenant_a)

    expected = [RuleData.from_rule(rule) for rule in rule_list(tenant=tenant_a)]
    assert [vars(d) for d in loaded] == [vars(d) for d in expected]
    first, bare = loaded
    assert (
        first.channel_ids == {c.pk for c in first.rule.channels.all()}
        and len(first.channel_ids) == 2
    )
    assert (first.labels_required, first.labels_excluded) == ({vip.pk}, {spam.pk})
    assert first.add_label_ids == sorted([hot.pk, cold.pk]) and first.remove_label_ids == [vip.pk]
    assert first.agent_ids == [agent_a.pk]
    assert bare.channel_ids == set() and bare.agent_ids == []
    assert sorted(k.text for k in bare.keywords) == ["hello", "xin chào"]
