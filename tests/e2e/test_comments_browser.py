"""Comments in a real headless Chromium: an agent opens a customer's comment under a
Facebook post, replies privately, follows the link to the direct-message conversation the
private reply opened, and continues there once the customer answers."""

import threading

import pytest
from playwright.sync_api import expect

from inbox.models import Channel, Comment
from inbox.simulator.payloads import simulate_comment, simulate_inbound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page_channel(tenant_a, settings):
    settings.SIMULATOR_ENABLED = True
    return Channel.objects.create(
        tenant=tenant_a,
        provider="messenger",
        name="Demo Page",
        account_id="104857362900001",
        credentials={"access_token": "EAA.104857362900001.t"},
        settings={"simulator": True},
    )


def test_an_agent_replies_privately_to_a_comment_and_continues_in_the_dm(
    new_page, tenant_a, agent_a, page_channel
):
    simulate_comment(
        channel=page_channel, post_id="5550001", name="Lan Nguyen", text="Giá bao nhiêu shop?"
    )
    comment = Comment.objects.get()
    page = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/?kind=comments")
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    row = page.locator("li.conv-row", has_text="Lan Nguyen")
    expect(row).to_contain_text("Comments")
    row.locator("a.conv-link").click()
    expect(page.locator("#post-card")).to_contain_text("Open the post")
    expect(page.locator("#messages")).to_contain_text("Giá bao nhiêu shop?")

    page.locator(".comment-private summary").click()
    page.locator(".comment-private textarea").fill("Chào bạn, váy 350k ạ. Bạn mặc size nào?")
    page.locator(".comment-private button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Replied privately")
    link = page.locator("a.private-reply-link")
    expect(link).to_be_visible()
    # One private reply per comment: the button is gone.
    expect(page.locator(".comment-private")).to_have_count(0)
    dm = Comment.objects.get(pk=comment.pk).private_reply_conversation
    assert dm is not None and dm.kind == "messages"

    link.click()
    expect(page.locator("#messages")).to_contain_text("Chào bạn, váy 350k ạ")
    # The customer answers in Messenger; the agent continues in the same conversation.
    simulate_inbound(channel=page_channel, name="Lan Nguyen", text="Size M nha shop")
    page.goto(f"/t/{tenant_a.slug}/inbox/?status=all&c={dm.pk}")
    expect(page.locator("#messages")).to_contain_text("Size M nha shop")
    page.fill("#composer-text", "Dạ shop gửi link đặt hàng ạ")
    page.keyboard.press("Enter")
    expect(page.locator("#messages .msg-out").last).to_contain_text("Dạ shop gửi link đặt hàng ạ")
    assert dm.messages.filter(direction="in").count() == 1
    assert errors == []


def test_a_new_comment_reaches_an_open_inbox_without_reload(
    new_page, tenant_a, agent_a, page_channel, e2e_redis_layer
):
    """As for messages (test_inbox_browser.py::test_inbound_message_appears_live): the comment
    goes through the real webhook path in this process; its hint reaches the server's
    websocket through Redis; the open page shows it without a reload."""

    def comment_from_worker(name, text):
        """Like the webhook worker: ingest (and hint) from a thread without an event loop
        (Playwright's sync API holds this thread's)."""
        done = []
        thread = threading.Thread(
            target=lambda: done.append(
                simulate_comment(channel=page_channel, post_id="5550001", name=name, text=text)
            )
        )
        thread.start()
        thread.join(20)
        assert done, "the comment was not ingested"

    comment_from_worker("Lan Nguyen", "Giá bao nhiêu shop?")
    page = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/")
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
    page.evaluate("() => { window.stillTheSamePage = true; }")  # a reload would drop it
    # A new author under the post: a new conversation appears at the top of the list.
    comment_from_worker("Minh Tuấn", "Còn size L không ạ?")
    row = page.locator("li.conv-row", has_text="Minh Tuấn")
    expect(row).to_contain_text("Còn size L không ạ?", timeout=5000)
    expect(page.locator("li.conv-row").first).to_contain_text("Minh Tuấn")
    # Lan's thread open: her next comment appears in it, with the comment's badge.
    page.locator("li.conv-row", has_text="Lan Nguyen").locator("a.conv-link").click()
    expect(page.locator("#messages")).to_contain_text("Giá bao nhiêu shop?")
    comment_from_worker("Lan Nguyen", "ib mình 0912 345 678")
    latest = page.locator("#messages li.msg-comment").last
    expect(latest).to_contain_text("ib mình 0912 345 678", timeout=5000)
    expect(latest.locator(".comment-badge")).to_be_visible()
    # The sidebar's comment count follows without a reload too.
    expect(page.locator('[data-filter="kind:comments"] .count')).to_have_text("2", timeout=5000)
    assert page.evaluate("() => window.stillTheSamePage") is True  # never reloaded
