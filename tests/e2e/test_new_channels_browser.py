"""LINE and Zalo in a real headless Chromium: a customer's message sent through the
simulator appears live in the agent's inbox, and the agent's reply reaches the provider's fake
API in its wire format."""

import re

import pytest
from playwright.sync_api import expect

from inbox.models import Channel
from inbox.simulator.fakes import line as fake_line
from inbox.simulator.store import DatabaseStore

pytestmark = pytest.mark.django_db(transaction=True)


def _line_channel(tenant):
    token = "line-e2e-token"
    return Channel.objects.create(
        tenant=tenant,
        provider="line",
        name="LINE e2e shop",
        account_id=fake_line.bot_user_id(token),
        credentials={"access_token": token, "channel_secret": "0123456789abcdef0123456789abcdef"},
        settings={"simulator": True},
    )


def _send_as_customer(page, tenant, channel, name, text):
    page.goto(f"/t/{tenant.slug}/simulator/")
    page.select_option("select[name=in-channel]", str(channel.pk))
    page.fill("input[name=in-name]", name)
    page.fill("textarea[name=in-text]", text)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _sent_texts(path_part: str) -> list[str]:
    texts = []
    for request in DatabaseStore().requests():
        if path_part in request["path"] and request.get("status") == 200:
            texts.append(request["body"])
    return texts


def test_line_message_appears_live_and_the_reply_reaches_line(new_page, tenant_a, agent_a, owner_a):
    channel = _line_channel(tenant_a)
    inbox = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/")
    expect(inbox.locator("#inbox")).to_have_attribute("data-live", "on")
    simulator = new_page(owner_a, f"/t/{tenant_a.slug}/simulator/")
    _send_as_customer(simulator, tenant_a, channel, "นิด ศรีสุข", "ครีมกันแดดยังมีไหมคะ")
    row = inbox.locator("li.conv-row", has_text="นิด ศรีสุข")
    expect(row).to_contain_text("ครีมกันแดดยังมีไหมคะ", timeout=5000)
    row.locator("a.conv-link").click()
    expect(inbox.locator("#messages")).to_contain_text("ครีมกันแดดยังมีไหมคะ")
    expect(inbox.locator("#reply-note")).to_be_visible()  # reply token or push, said before typing
    inbox.fill("#composer-text", "มีค่ะ ส่งฟรีทั่วประเทศ")
    inbox.keyboard.press("Enter")
    expect(inbox.locator("#messages .msg-out .delivery").last).to_contain_text(
        re.compile("Sent"), timeout=10_000
    )
    sent = _sent_texts("/line/v2/bot/message/")
    assert any("มีค่ะ ส่งฟรีทั่วประเทศ" in body for body in sent)


def test_zalo_message_appears_live_and_the_reply_reaches_zalo(new_page, tenant_a, agent_a, owner_a):
    from datetime import timedelta

    from django.utils import timezone

    channel = Channel.objects.create(
        tenant=tenant_a,
        provider="zalo",
        name="Zalo e2e shop",
        account_id="4318205700000000042",
        credentials={
            "access_token": "zat.4318205700000000042.e2e",
            "refresh_token": "zrt.4318205700000000042.e2e",
            "oa_secret_key": "zalo-e2e-oa-secret",
        },
        token_expires_at=timezone.now() + timedelta(hours=20),
        settings={"simulator": True},
    )
    inbox = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/")
    expect(inbox.locator("#inbox")).to_have_attribute("data-live", "on")
    simulator = new_page(owner_a, f"/t/{tenant_a.slug}/simulator/")
    _send_as_customer(
        simulator, tenant_a, channel, "Trần Thị Mai", "Kem chống nắng còn không shop?"
    )
    row = inbox.locator("li.conv-row", has_text="Trần Thị Mai")
    expect(row).to_contain_text("Kem chống nắng còn không shop?", timeout=5000)
    row.locator("a.conv-link").click()
    expect(inbox.locator("#reply-allowance")).to_contain_text("8")  # from Zalo's quota call
    inbox.fill("#composer-text", "Dạ còn ạ, chị lấy mấy tuýp?")
    inbox.keyboard.press("Enter")
    expect(inbox.locator("#messages .msg-out .delivery").last).to_contain_text(
        re.compile("Sent"), timeout=10_000
    )
    assert any(
        "Dạ còn ạ, chị lấy mấy tuýp?" in body for body in _sent_texts("/zalo/v3.0/oa/message/cs")
    )
