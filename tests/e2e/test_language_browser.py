"""Choosing a language in a real headless Chromium: one click in the header, kept at sign-in."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenants.models import PersonPreferences
from tests.e2e.conftest import PASSWORD
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ConversationFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def conversation(tenant_a):
    channel = ChannelFactory(
        tenant=tenant_a,
        provider="whatsapp",
        name="Shop WA",
        settings={"simulator": True},
        credentials={"access_token": "EAA.wa.t"},
    )
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    conversation = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        contact=ContactFactory(tenant=tenant_a, name="Malee Wong"),
        last_message_at=five_minutes_ago,
        last_message_preview="สนใจผ้าไหมค่ะ",
    )
    message = MessageFactory(conversation=conversation, text="สนใจผ้าไหมค่ะ")
    type(message).objects.filter(pk=message.pk).update(created_at=five_minutes_ago)
    return conversation


def test_an_agent_switches_to_thai_in_the_header_and_keeps_it_after_signing_in_again(
    new_page, tenant_a, agent_a, conversation
):
    inbox = f"/t/{tenant_a.slug}/inbox/"
    page = new_page(agent_a, inbox)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("form.language-switch button[value=th]").click()

    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.locator("nav.mainnav")).to_contain_text("กล่องข้อความ")
    row = page.locator("li.conv-row", has_text="Malee Wong")
    expect(row.locator("time")).to_have_text(re.compile(r"5\s*นาที"))
    row.locator("a.conv-link").click()
    composer = page.locator("#composer-text")
    expect(composer).to_have_attribute("placeholder", re.compile("^พิมพ์ข้อความตอบกลับ"))
    # The time left in the reply window is rewritten by the inbox script, in Thai.
    expect(page.locator("#reply-window .time-left")).to_have_text(re.compile(r"^\d+ ชม\. \d+ นาที$"))
    expect(page.locator("#reply-window")).to_contain_text("ช่วงเวลาตอบกลับเหลืออีก")

    page.get_by_role("button", name="ออกจากระบบ").click()
    page.wait_for_url(re.compile("/accounts/login/"))
    page.fill("input[name=login]", agent_a.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state("networkidle")
    page.goto(inbox)
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.locator("nav.mainnav")).to_contain_text("กล่องข้อความ")


def test_a_vietnamese_agent_and_an_english_owner_of_one_business_each_see_their_own(
    new_page, tenant_a, owner_a, agent_a, conversation
):
    PersonPreferences.objects.create(user=agent_a, language="vi")
    inbox = f"/t/{tenant_a.slug}/inbox/"

    agent_page = new_page(agent_a, inbox)
    owner_page = new_page(owner_a, inbox)

    expect(agent_page.locator("html")).to_have_attribute("lang", "vi")
    expect(agent_page.locator("nav.mainnav")).to_contain_text("Hộp thư")
    expect(agent_page.locator("#search-box")).to_have_attribute(
        "placeholder", "Tìm tin nhắn, tên, số điện thoại…"
    )
    expect(owner_page.locator("html")).to_have_attribute("lang", "en")
    expect(owner_page.locator("nav.mainnav")).to_contain_text("Inbox")
    expect(owner_page.locator("#search-box")).to_have_attribute(
        "placeholder", "Search messages, names, phones…"
    )


def test_a_switch_on_one_device_shows_on_the_other_on_its_next_page(
    new_page, tenant_a, agent_a, conversation
):
    inbox = f"/t/{tenant_a.slug}/inbox/"
    phone = new_page(agent_a, inbox)
    laptop = new_page(agent_a, inbox)
    expect(laptop.locator("html")).to_have_attribute("lang", "en")

    phone.locator("form.language-switch button[value=ja]").click()
    expect(phone.locator("html")).to_have_attribute("lang", "ja")

    # The laptop stays signed in; its next page is Japanese.
    laptop.reload()
    expect(laptop.locator("html")).to_have_attribute("lang", "ja")
    expect(laptop.locator("nav.mainnav")).to_contain_text("受信箱")
