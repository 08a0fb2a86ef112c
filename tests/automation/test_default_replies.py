"""Parley's shipped replies (welcome, away, TikTok privacy notice): in every shipped language,
installed for a new business in its language, insertable into any rule in any language, and
the privacy notice shown where TikTok Ads is connected."""

import html
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings

from inbox.automation import services
from inbox.automation.defaults import (
    AWAY,
    DEFAULT_REPLIES,
    TIKTOK_PRIVACY,
    WELCOME,
    default_rules_install,
)
from inbox.automation.engine import render_text
from inbox.automation.models import AutoReplyRule
from inbox.models import Message
from keywords import clear_matcher_cache
from tenants.models import Membership, PersonPreferences, Tenant
from tests.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

SHIPPED = [code for code, _name in settings.LANGUAGES if code != "en"]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(found.group(1)).strip()


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("kind", list(DEFAULT_REPLIES))
def test_every_shipped_reply_is_written_in_every_shipped_language(kind, language):
    reply = DEFAULT_REPLIES[kind]
    english, text = reply.text_in("en"), reply.text_in(language)
    assert text != english and reply.name_in(language) != reply.name_in("en")
    filled = render_text(text, {"business.name": "Nhà Hoa"})
    assert "Nhà Hoa" in filled and "{{" not in filled
    if kind == TIKTOK_PRIVACY:
        assert "TikTok" in text


def test_a_new_business_starts_with_the_replies_in_its_creators_language_turned_off(
    django_user_model,
):
    person = django_user_model.objects.create_user(
        username="somchai", email="somchai@example.com", password="x"
    )
    PersonPreferences.objects.create(user=person, language="th")
    from django.test import Client

    client = Client()
    client.force_login(person)
    client.post("/tenants/new/", {"name": "ร้านดอกไม้"})

    tenant = Membership.objects.get(user=person).tenant
    assert tenant.default_language == "th"
    rules = {r.trigger + (":ad" if r.from_ad else ""): r for r in AutoReplyRule.objects.all()}
    assert set(rules) == {"welcome", "away", "welcome:ad"}
    assert not any(rule.enabled for rule in rules.values())
    assert rules["welcome"].name == "ข้อความต้อนรับ"
    assert rules["welcome"].reply_text.startswith("สวัสดีค่ะ! ขอบคุณที่ทักมาหา")
    assert rules["away"].reply_text == DEFAULT_REPLIES[AWAY].text_in("th")
    assert rules["welcome:ad"].reply_text == DEFAULT_REPLIES[TIKTOK_PRIVACY].text_in("th")

    page = client.get(f"/t/{tenant.slug}/automation/").content.decode()
    assert "ข้อความต้อนรับ" in page and "ข้อความนอกเวลาทำการ" in page


def test_installing_twice_adds_nothing_and_turned_off_replies_send_nothing(tenant_a):
    tenant_a.default_language = "vi"
    tenant_a.save()
    assert len(default_rules_install(tenant=tenant_a)) == 3
    assert default_rules_install(tenant=tenant_a) == []
    clear_matcher_cache()
    conversation = ConversationFactory(tenant=tenant_a, last_customer_message_at=NOW)
    first = MessageFactory(conversation=conversation, text="xin chào", created_at=NOW)
    services.automation_run_for_message(message_id=first.pk, now=NOW)
    assert not Message.objects.filter(conversation=conversation, author_kind="bot").exists()


def test_turned_on_the_welcome_reply_greets_in_the_business_language_with_its_name(tenant_a):
    tenant_a.name = "Cửa hàng Mai"
    tenant_a.default_language = "vi"
    tenant_a.save()
    default_rules_install(tenant=tenant_a)
    welcome = AutoReplyRule.objects.get(trigger=WELCOME, from_ad="")
    services.rule_save(tenant=tenant_a, actor=None, rule=welcome, data={"enabled": True})
    clear_matcher_cache()
    conversation = ConversationFactory(
        tenant=tenant_a,
        contact=ContactFactory(tenant=tenant_a, name="Lan"),
        last_customer_message_at=NOW,
    )
    first = MessageFactory(conversation=conversation, text="alo shop", created_at=NOW)
    services.automation_run_for_message(message_id=first.pk, now=NOW)
    reply = Message.objects.get(conversation=conversation, author_kind="bot", kind="message")
    assert reply.text == (
        "Xin chào! Cảm ơn bạn đã nhắn tin cho Cửa hàng Mai. Bạn đang tìm gì cứ nhắn cho chúng "
        "tôi nhé, chúng tôi sẽ trả lời ngay."
    )


@pytest.mark.parametrize("language", SHIPPED)
def test_an_admin_starts_a_rule_from_a_shipped_reply_in_any_language(
    tenant_a, owner_a, client_for, language
):
    client = client_for(owner_a)
    page = client.get(
        f"/t/{tenant_a.slug}/automation/rules/new/?default=away&language={language}"
    ).content.decode()
    assert textarea(page, "reply_text") == DEFAULT_REPLIES[AWAY].text_in(language)
    assert re.search(r'<option value="away" selected>', page)
    assert f'<option value="{language}" lang="{language}" selected>' in page

    form = {
        "name": DEFAULT_REPLIES[AWAY].name_in(language),
        "enabled": "on",
        "trigger": "away",
        "keyword_logic": "any",
        "keyword_mode": "whole_word",
        "cooldown_minutes": "240",
        "reply_text": textarea(page, "reply_text"),
    }
    assert client.post(f"/t/{tenant_a.slug}/automation/rules/new/", form).status_code == 302
    rule = AutoReplyRule.objects.get(tenant=tenant_a)
    assert (rule.trigger, rule.enabled) == ("away", True)
    assert rule.reply_text == DEFAULT_REPLIES[AWAY].text_in(language)


def test_inserting_a_shipped_reply_into_an_existing_rule_replaces_only_its_reply(
    tenant_a, owner_a, client_for
):
    rule = services.rule_save(
        tenant=tenant_a,
        actor=None,
        data={"name": "Hello", "trigger": "welcome", "reply_text": "Hi!"},
    )
    page = (
        client_for(owner_a)
        .get(f"/t/{tenant_a.slug}/automation/rules/{rule.pk}/?default=welcome&language=cs")
        .content.decode()
    )
    assert textarea(page, "reply_text") == DEFAULT_REPLIES[WELCOME].text_in("cs")
    assert 'value="Hello"' in page  # the rule keeps its own name
    plain = (
        client_for(owner_a).get(f"/t/{tenant_a.slug}/automation/rules/{rule.pk}/").content.decode()
    )
    assert textarea(plain, "reply_text") == "Hi!"


def test_the_tiktok_page_shows_the_privacy_notice_in_the_business_language(
    tenant_a, owner_a, client_for
):
    tenant_a.default_language = "id"
    tenant_a.name = "Toko Bunga"
    tenant_a.save()
    client = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/signals/connection/"

    page = client.get(url).content.decode()
    notice = re.search(r'data-testid="privacy-notice">(.*?)</blockquote>', page, re.S).group(1)
    assert html.unescape(notice).startswith("Tentang privasi Anda: Toko Bunga beriklan di TikTok.")
    assert f"?default={TIKTOK_PRIVACY}&amp;language=id" in page

    default_rules_install(tenant=tenant_a)
    rule = AutoReplyRule.objects.get(tenant=tenant_a, from_ad="yes")
    page = client.get(url).content.decode()
    assert f"/t/{tenant_a.slug}/automation/rules/{rule.pk}/" in page
    assert f"?default={TIKTOK_PRIVACY}" not in page


def test_other_businesses_rules_are_not_found_as_the_notice(
    tenant_a, tenant_b, owner_a, client_for
):
    tenant_b.default_language = "en"
    tenant_b.save()
    default_rules_install(tenant=tenant_b)
    page = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/connection/").content.decode()
    assert f"?default={TIKTOK_PRIVACY}" in page
    assert Tenant.objects.get(pk=tenant_a.pk).default_language == "en"
