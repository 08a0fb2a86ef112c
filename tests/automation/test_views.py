"""Automation admin pages: permissions per role, changes audited, tenant isolation."""

from datetime import date, time

import pytest
from django.urls import reverse

from inbox.automation import services
from inbox.automation.models import AutoReplyRule, BusinessHours, CannedResponse, Holiday
from inbox.models import Label
from keywords import clear_matcher_cache
from tenants.models import AuditLog
from tests.factories import ChannelFactory, ConversationFactory, LabelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


def url(name, tenant, *args):
    return reverse(name, args=[tenant.slug, *args])


def a_rule(tenant, name="Price", keywords=("price",), **data):
    data.setdefault("reply_text", "Our prices: example.com")
    data.setdefault("trigger", "keywords")
    return services.rule_save(
        tenant=tenant, actor=None, data={"name": name, **data}, keywords=list(keywords)
    )


RULE_POST = {
    "name": "Giá",
    "enabled": "on",
    "trigger": "keywords",
    "keywords": "giá\nbao nhiêu\n",
    "keyword_mode": "whole_word",
    "accent_insensitive": "on",
    "keyword_logic": "any",
    "stop_after": "on",
    "cooldown_minutes": "30",
    "from_ad": "",
    "reply_text": 'Chào {{ contact.first_name|default:"bạn" }}!',
    "assign": "",
    "set_status": "",
    "set_priority": "",
    "note_text": "",
}


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    "name,args",
    [
        ("automation_rules", []),
        ("automation_rule_create", []),
        ("automation_try", []),
        ("automation_hours", []),
        ("automation_canned", []),
        ("automation_labels", []),
        ("automation_audit", []),
    ],
)
def test_owners_and_admins_see_the_pages(name, args, tenant_a, owner_a, admin_a, client_for):
    for user in (owner_a, admin_a):
        assert client_for(user).get(url(name, tenant_a, *args)).status_code == 200


def test_agents_and_viewers_cannot_change_rules(tenant_a, agent_a, viewer_a, client_for):
    rule = a_rule(tenant_a)
    for user in (agent_a, viewer_a):
        client = client_for(user)
        assert client.get(url("automation_rules", tenant_a)).status_code == 403
        assert client.post(url("automation_rule_create", tenant_a), RULE_POST).status_code == 403
        assert (
            client.post(url("automation_rule_edit", tenant_a, rule.pk), RULE_POST).status_code
            == 403
        )
        for action in ("toggle", "move", "duplicate", "delete"):
            response = client.post(url(f"automation_rule_{action}", tenant_a, rule.pk))
            assert response.status_code == 403
        assert client.post(url("automation_hours", tenant_a), {"open_0": "on"}).status_code == 403
        assert (
            client.post(
                url("automation_canned", tenant_a), {"shortcut": "x", "text": "y"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                url("automation_labels", tenant_a), {"name": "x", "color": "#000000"}
            ).status_code
            == 403
        )
        assert client.get(url("automation_audit", tenant_a)).status_code == 403
    rule.refresh_from_db()
    assert rule.enabled and AutoReplyRule.objects.count() == 1
    assert not CannedResponse.objects.exists() and not Label.objects.exists()


def test_another_tenants_rule_is_404(tenant_a, owner_a, owner_b, tenant_b, client_for):
    rule = a_rule(tenant_a)
    client = client_for(owner_b)
    assert client.get(url("automation_rule_edit", tenant_b, rule.pk)).status_code == 404
    assert client.post(url("automation_rule_toggle", tenant_b, rule.pk)).status_code == 404
    assert client.get(url("automation_rules", tenant_a)).status_code == 404
    rule.refresh_from_db()
    assert rule.enabled


# --------------------------------------------------------------------------- rules


def test_create_a_rule_with_keywords_and_audit(tenant_a, owner_a, client_for):
    response = client_for(owner_a).post(url("automation_rule_create", tenant_a), RULE_POST)
    assert response.status_code == 302
    rule = AutoReplyRule.objects.get()
    assert [(k.text, k.mode, k.accent_insensitive) for k in rule.keywords.all()] == [
        ("giá", "whole_word", True),
        ("bao nhiêu", "whole_word", True),
    ]
    entry = AuditLog.objects.get(action="automation.rule.created")
    assert entry.actor == owner_a and entry.target_id == str(rule.pk)


def test_rule_form_rejects_unknown_variables_and_missing_actions(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    bad = {**RULE_POST, "reply_text": "Hi {{ contact.password }}"}
    response = client.post(url("automation_rule_create", tenant_a), bad)
    assert response.status_code == 200 and "Unknown variable" in response.content.decode()
    bad = {**RULE_POST, "reply_text": ""}
    assert client.post(url("automation_rule_create", tenant_a), bad).status_code == 200
    bad = {**RULE_POST, "keywords": ""}
    assert client.post(url("automation_rule_create", tenant_a), bad).status_code == 200
    assert not AutoReplyRule.objects.exists()


def test_edit_toggle_reorder_duplicate_delete(tenant_a, admin_a, client_for):
    client = client_for(admin_a)
    first = a_rule(tenant_a, "First")
    second = a_rule(tenant_a, "Second")
    response = client.post(
        url("automation_rule_edit", tenant_a, first.pk), {**RULE_POST, "name": "Renamed"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.name == "Renamed"
    changed = AuditLog.objects.get(action="automation.rule.updated").details["changed"]
    assert {"name", "keywords", "cooldown_minutes"} <= set(changed)

    response = client.post(
        url("automation_rule_toggle", tenant_a, first.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Disabled" in response.content.decode()
    first.refresh_from_db()
    assert not first.enabled

    client.post(url("automation_rule_move", tenant_a, second.pk), {"direction": "up"})
    order = list(AutoReplyRule.objects.for_tenant(tenant_a).values_list("name", flat=True))
    assert order == ["Second", "Renamed"]

    client.post(url("automation_rule_duplicate", tenant_a, second.pk))
    copy = AutoReplyRule.objects.get(name="Copy of Second")
    assert not copy.enabled
    assert [k.text for k in copy.keywords.all()] == ["price"]
    order = list(AutoReplyRule.objects.for_tenant(tenant_a).values_list("name", flat=True))
    assert order == ["Second", "Copy of Second", "Renamed"]

    client.post(url("automation_rule_delete", tenant_a, copy.pk))
    assert not AutoReplyRule.objects.filter(pk=copy.pk).exists()
    actions = set(AuditLog.objects.for_tenant(tenant_a).values_list("action", flat=True))
    assert {
        "automation.rule.updated",
        "automation.rule.disabled",
        "automation.rule.moved",
        "automation.rule.duplicated",
        "automation.rule.deleted",
    } <= actions


def test_rules_list_query_count_does_not_grow_with_rules(
    tenant_a, owner_a, client_for, django_assert_max_num_queries
):
    for i in range(8):
        a_rule(tenant_a, f"r{i}", keywords=[f"k{i}", f"x{i}"])
    client = client_for(owner_a)
    client.get(url("automation_rules", tenant_a))
    with django_assert_max_num_queries(16):
        assert client.get(url("automation_rules", tenant_a)).status_code == 200


# --------------------------------------------------------------------------- try a message


def test_try_a_message_shows_keywords_and_rules_that_would_fire(tenant_a, owner_a, client_for):
    a_rule(tenant_a, "Price", keywords=["giá"], stop_after=True)
    a_rule(tenant_a, "Also price", keywords=["giá"])
    a_rule(tenant_a, "Shipping", keywords=["ship"])
    response = client_for(owner_a).post(
        url("automation_try", tenant_a),
        {"text": "Cho em hỏi GIÁ <b>ạ</b>", "first_message": "on"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>GIÁ</mark>" in html
    assert "<b>ạ</b>" not in html  # customer text is never rendered raw
    assert html.count("does not fire") == 2 and "stopped by an earlier rule" in html


def test_try_a_message_uses_the_time_in_the_business_timezone(tenant_a, owner_a, client_for):
    tenant_a.timezone = "Asia/Ho_Chi_Minh"
    tenant_a.save()
    services.business_hours_set(
        tenant=tenant_a,
        actor=None,
        intervals=[(d, time(9), time(17)) for d in range(7)],
    )
    services.rule_save(
        tenant=tenant_a,
        actor=None,
        data={"name": "Away", "trigger": "away", "reply_text": "closed"},
        keywords=[],
    )
    client = client_for(owner_a)
    closed = client.post(url("automation_try", tenant_a), {"text": "hi", "at": "2026-11-20T20:00"})
    assert "the business is closed" in closed.content.decode()
    opened = client.post(url("automation_try", tenant_a), {"text": "hi", "at": "2026-11-20T10:00"})
    assert "the business is open" in opened.content.decode()


# --------------------------------------------------------------------------- hours, holidays


def test_business_hours_and_holidays_are_saved_and_audited(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    response = client.post(
        url("automation_hours", tenant_a),
        {
            "open_0": "on",
            "opens_0": "09:00",
            "closes_0": "17:30",
            "open_5": "on",
            "opens_5": "10:00",
            "closes_5": "00:00",
        },
    )
    assert response.status_code == 302
    assert [
        (h.weekday, h.opens_at.hour, h.closes_at.hour) for h in BusinessHours.objects.all()
    ] == [
        (0, 9, 17),
        (5, 10, 0),
    ]
    bad = client.post(
        url("automation_hours", tenant_a), {"open_1": "on", "opens_1": "18:00", "closes_1": "09:00"}
    )
    assert bad.status_code == 200 and BusinessHours.objects.count() == 2
    client.post(
        url("automation_holiday_add", tenant_a), {"date": "2026-12-24", "name": "Christmas Eve"}
    )
    holiday = Holiday.objects.get()
    assert holiday.date == date(2026, 12, 24)
    client.post(url("automation_holiday_delete", tenant_a, holiday.pk))
    assert not Holiday.objects.exists()
    client.post(
        url("automation_hours", tenant_a),
        {"form": "safety", "max_replies_per_hour": "5", "away_agent_grace_minutes": "15"},
    )
    actions = list(AuditLog.objects.for_tenant(tenant_a).values_list("action", flat=True))
    for action in (
        "automation.hours.updated",
        "automation.holiday.added",
        "automation.holiday.deleted",
        "automation.settings.updated",
    ):
        assert action in actions


# --------------------------------------------------------------------------- canned responses


def test_canned_responses_crud(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    client.post(url("automation_canned", tenant_a), {"shortcut": "giờ", "text": "Mở cửa 9h–17h"})
    canned = CannedResponse.objects.get()
    duplicate = client.post(url("automation_canned", tenant_a), {"shortcut": "GIỜ", "text": "x"})
    assert duplicate.status_code == 200 and CannedResponse.objects.count() == 1
    client.post(
        url("automation_canned_edit", tenant_a, canned.pk), {"shortcut": "hours", "text": "9–17"}
    )
    canned.refresh_from_db()
    assert (canned.shortcut, canned.text) == ("hours", "9–17")
    client.post(url("automation_canned_delete", tenant_a, canned.pk))
    assert not CannedResponse.objects.exists()
    assert AuditLog.objects.filter(action__startswith="automation.canned.").count() == 3


# --------------------------------------------------------------------------- labels


def test_labels_create_rename_and_unique_names(tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    client.post(
        url("automation_labels", tenant_a),
        {"name": "VIP", "color": "#ff0000", "description": "big"},
    )
    label = Label.objects.get()
    assert (
        client.post(
            url("automation_labels", tenant_a), {"name": "vip", "color": "#00ff00"}
        ).status_code
        == 200
    )
    client.post(
        url("automation_label_edit", tenant_a, label.pk),
        {"name": "Very important", "color": "#ff0000"},
    )
    label.refresh_from_db()
    assert label.name == "Very important"
    entry = AuditLog.objects.get(action="labels.renamed")
    assert entry.details["before"]["name"] == "VIP"


def test_merging_labels_keeps_every_conversations_history(tenant_a, owner_a, client_for):
    old = LabelFactory(tenant=tenant_a, name="Hot")
    new = LabelFactory(tenant=tenant_a, name="Hot lead")
    both = ConversationFactory(tenant=tenant_a)
    only_old = ConversationFactory(tenant=tenant_a)
    both.labels.add(old, new)
    only_old.labels.add(old)
    rule = a_rule(tenant_a)
    rule.add_labels.set([old])
    response = client_for(owner_a).post(
        url("automation_label_merge", tenant_a, old.pk), {"target": new.pk}
    )
    assert response.status_code == 302
    assert not Label.objects.filter(pk=old.pk).exists()
    assert list(both.labels.all()) == [new] and list(only_old.labels.all()) == [new]
    assert list(rule.add_labels.all()) == [new]
    entry = AuditLog.objects.get(action="labels.merged")
    assert entry.details["source"] == "Hot" and entry.details["conversations"] == 2


def test_cannot_merge_into_another_tenants_label(tenant_a, tenant_b, owner_a, client_for):
    mine = LabelFactory(tenant=tenant_a, name="Mine")
    theirs = LabelFactory(tenant=tenant_b, name="Theirs")
    client_for(owner_a).post(
        url("automation_label_merge", tenant_a, mine.pk), {"target": theirs.pk}
    )
    assert Label.objects.filter(pk=mine.pk).exists() and Label.objects.filter(pk=theirs.pk).exists()


def test_deleting_a_label_asks_for_confirmation_and_disables_rules_needing_it(
    tenant_a, owner_a, client_for
):
    label = LabelFactory(tenant=tenant_a, name="Old")
    ConversationFactory(tenant=tenant_a).labels.add(label)
    rule = a_rule(tenant_a, "VIP only")
    rule.labels_required.set([label])
    client = client_for(owner_a)
    page = client.get(url("automation_label_delete", tenant_a, label.pk))
    html = page.content.decode()
    assert page.status_code == 200 and "1 conversation" in html and "VIP only" in html
    assert Label.objects.filter(pk=label.pk).exists()
    client.post(url("automation_label_delete", tenant_a, label.pk))
    assert not Label.objects.filter(pk=label.pk).exists()
    rule.refresh_from_db()
    assert not rule.enabled  # it would otherwise fire for every conversation
    entry = AuditLog.objects.get(action="labels.deleted")
    assert entry.details["rules_disabled"] == ["VIP only"]


# --------------------------------------------------------------------------- audit log page


def test_audit_log_page_lists_who_did_what(tenant_a, tenant_b, owner_a, admin_a, client_for):
    a_rule(tenant_a, "Visible")
    services.rule_save(
        tenant=tenant_b, actor=None, data={"name": "Hidden B", "reply_text": "x"}, keywords=["x"]
    )
    client = client_for(admin_a)
    client.post(url("automation_canned", tenant_a), {"shortcut": "hi", "text": "Hello"})
    html = client.get(url("automation_audit", tenant_a) + "?only=automation.").content.decode()
    assert "automation.canned.created" in html and admin_a.email in html
    assert "Hidden B" not in html


def test_channels_in_rule_form_are_the_tenants_only(tenant_a, tenant_b, owner_a, client_for):
    mine = ChannelFactory(tenant=tenant_a, name="Mine WA")
    ChannelFactory(tenant=tenant_b, name="Their WA")
    html = client_for(owner_a).get(url("automation_rule_create", tenant_a)).content.decode()
    assert "Mine WA" in html and "Their WA" not in html
    theirs = ChannelFactory(tenant=tenant_b, name="Other")
    response = client_for(owner_a).post(
        url("automation_rule_create", tenant_a), {**RULE_POST, "channels": [theirs.pk]}
    )
    assert response.status_code == 200 and not AutoReplyRule.objects.exists()
    assert mine.pk


def test_seed_automation_is_idempotent(tenant_a):
    from inbox.automation.demo import seed_automation

    seed_automation(tenant_a)
    seed_automation(tenant_a)
    assert AutoReplyRule.objects.for_tenant(tenant_a).count() == 4
    assert CannedResponse.objects.for_tenant(tenant_a).count() == 3
    assert BusinessHours.objects.for_tenant(tenant_a).count() == 6


def test_composer_can_search_canned_responses(tenant_a, agent_a, viewer_a, owner_b, client_for):
    CannedResponse.objects.create(tenant=tenant_a, shortcut="bank", text="KBank <123>")
    CannedResponse.objects.create(tenant=tenant_a, shortcut="hours", text="9-18")
    response = client_for(agent_a).get(url("automation_canned_search", tenant_a) + "?q=/ba")
    html = response.content.decode()
    assert response.status_code == 200 and "/bank" in html and "/hours" not in html
    assert "KBank &lt;123&gt;" in html
    assert client_for(viewer_a).get(url("automation_canned_search", tenant_a)).status_code == 403
    assert client_for(owner_b).get(url("automation_canned_search", tenant_a)).status_code == 404


def test_sweep_reenqueues_messages_automation_never_saw(tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import MessageFactory

    a_rule(tenant_a)
    conversation = ConversationFactory(tenant=tenant_a)
    now = timezone.now()
    missed = MessageFactory(
        conversation=conversation, text="price", created_at=now - timedelta(minutes=5)
    )
    MessageFactory(conversation=conversation, text="too new", created_at=now)
    MessageFactory(conversation=conversation, text="too old", created_at=now - timedelta(hours=2))
    queued = []
    assert services.automation_sweep(enqueue=queued.append, now=now) == 1
    assert queued == [missed.pk]
    services.automation_run_for_message(message_id=missed.pk, now=now)
    assert services.automation_sweep(enqueue=queued.append, now=now) == 0


def test_rules_show_how_often_they_fired_and_their_recent_runs(tenant_a, owner_a, client_for):
    from tests.factories import ContactFactory, MessageFactory

    rule = a_rule(tenant_a, "Price", cooldown_minutes=0)
    conversation = ConversationFactory(
        tenant=tenant_a, contact=ContactFactory(tenant=tenant_a, name="Mai <b>")
    )
    message = MessageFactory(conversation=conversation, text="price?")
    services.automation_run_for_message(message_id=message.pk)
    client = client_for(owner_a)
    html = client.get(url("automation_rules", tenant_a)).content.decode()
    assert "<td>1</td>" in html
    page = client.get(url("automation_rule_edit", tenant_a, rule.pk)).content.decode()
    assert "Mai &lt;b&gt;" in page and "Fired" in page


def test_each_keyword_line_can_carry_its_own_match_setting(tenant_a, admin_a, client_for):
    client = client_for(admin_a)
    post = dict(
        RULE_POST,
        name="Pay",
        keywords="payment\nthanh toan [contains] [ignore accents]\nPAY NOW [exact]\n[vip]\n",
        accent_insensitive="",
    )
    response = client.post(url("automation_rule_create", tenant_a), post)
    assert response.status_code == 302
    rule = AutoReplyRule.objects.for_tenant(tenant_a).get(name="Pay")
    stored = {k.text: (k.mode, k.accent_insensitive) for k in rule.keywords.all()}
    assert stored == {
        "payment": ("whole_word", False),
        "thanh toan": ("contains", True),
        "PAY NOW": ("exact", False),
        "[vip]": ("whole_word", False),  # not an option: brackets are part of the keyword
    }
    # Editing shows the same lines back, options only where they differ from the rule.
    page = client.get(url("automation_rule_edit", tenant_a, rule.pk))
    initial = page.context["form"].initial["keywords"]
    assert "thanh toan [contains] [ignore accents]" in initial
    assert "PAY NOW [exact]" in initial and "payment\n" in initial + "\n"
