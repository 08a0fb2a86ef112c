"""The agents' inbox in a real headless Chromium against the real ASGI server."""

import re
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Conversation, Message
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ConversationFactory,
    LabelFactory,
    MembershipFactory,
    MessageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(tenant_a, agent_a):
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp", name="Shop WA")
    lan = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        contact=ContactFactory(tenant=tenant_a, name="Lan Nguyen"),
        last_message_preview="Shop ơi áo dài này còn size M không ạ",
    )
    MessageFactory(conversation=lan, text="Shop ơi áo dài này còn size M không ạ")
    somchai = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        contact=ContactFactory(tenant=tenant_a, name="Somchai Sukjai"),
        last_message_at=timezone.now() - timedelta(minutes=5),
        last_message_preview="hello",
    )
    old = MessageFactory(conversation=somchai, text="Do you sell waterproof umbrellas?")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=700))
    MessageFactory(conversation=somchai, text="hello")
    label = LabelFactory(tenant=tenant_a, name="vip", color="#b42318")
    return {"channel": channel, "lan": lan, "somchai": somchai, "label": label}


def _inbox(tenant):
    return f"/t/{tenant.slug}/inbox/"


def _broadcast_from_worker(**kwargs):
    """Like a background worker: broadcast from a thread without an event loop."""
    from inbox.realtime import broadcast

    thread = threading.Thread(target=broadcast, kwargs=kwargs)
    thread.start()
    thread.join(10)


def test_sign_in_and_see_the_inbox(new_page, tenant_a, agent_a, shop):
    page = new_page(agent_a, _inbox(tenant_a))
    expect(page.locator(f"#conv-{shop['lan'].pk}")).to_contain_text("Lan Nguyen")
    expect(page.locator(f"#conv-{shop['somchai'].pk}")).to_be_visible()
    page.locator(f"#conv-{shop['lan'].pk} a.conv-link").click()
    expect(page.locator("#thread")).to_contain_text("áo dài")
    expect(page.locator("#contact-pane")).to_contain_text("Lan Nguyen")


def test_inbound_message_appears_live(new_page, tenant_a, agent_a, shop, e2e_redis_layer):
    page = new_page(agent_a, _inbox(tenant_a) + f"?c={shop['somchai'].pk}")
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
    # A customer writes (as the receiving worker would: store, then hint after commit).
    conversation = shop["somchai"]
    now = timezone.now()
    MessageFactory(conversation=conversation, text="ราคาเท่าไหร่ครับ", created_at=now)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=now, last_customer_message_at=now, last_message_preview="ราคาเท่าไหร่ครับ"
    )
    _broadcast_from_worker(
        tenant_id=tenant_a.pk,
        event="message.created",
        data={"conversation_id": conversation.pk},
    )
    expect(page.locator("#messages")).to_contain_text("ราคาเท่าไหร่ครับ", timeout=3000)
    row = page.locator(f"#conv-{conversation.pk}")
    expect(row).to_contain_text("ราคาเท่าไหร่ครับ", timeout=3000)
    # It moved to the top of the list (newest activity first).
    expect(page.locator("li.conv-row").first).to_have_id(f"conv-{conversation.pk}")


def test_new_conversation_appears_live_and_after_reconnect(
    new_page, tenant_a, agent_a, shop, e2e_redis_layer
):
    page = new_page(agent_a, _inbox(tenant_a))
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
    fresh = ConversationFactory(
        tenant=tenant_a,
        channel=shop["channel"],
        contact=ContactFactory(tenant=tenant_a, name="Ayu Lestari"),
        last_message_preview="Kak, ready stok?",
    )
    _broadcast_from_worker(
        tenant_id=tenant_a.pk, event="conversation.created", data={"conversation_id": fresh.pk}
    )
    expect(page.locator(f"#conv-{fresh.pk}")).to_contain_text("Ayu Lestari", timeout=3000)
    # Offline: the push is lost; on reconnect the page catches up from the database.
    page.context.set_offline(True)
    page.evaluate("() => { window.dispatchEvent(new Event('offline')); }")
    later = ConversationFactory(
        tenant=tenant_a,
        channel=shop["channel"],
        contact=ContactFactory(tenant=tenant_a, name="Budi Santoso"),
    )
    page.context.set_offline(False)
    page.evaluate("() => { window.dispatchEvent(new Event('online')); }")
    expect(page.locator(f"#conv-{later.pk}")).to_contain_text("Budi Santoso", timeout=5000)


def test_label_then_filter_by_it(new_page, tenant_a, agent_a, shop):
    page = new_page(agent_a, _inbox(tenant_a) + f"?c={shop['lan'].pk}")
    page.select_option("#thread-head select[name=label]", str(shop["label"].pk))
    expect(page.locator("#thread-head .thread-labels")).to_contain_text("vip")
    page.locator(f".label-filter input[value='{shop['label'].pk}']").check()
    page.wait_for_url(re.compile(r"label="))
    expect(page.locator(f"#conv-{shop['lan'].pk}")).to_be_visible()
    expect(page.locator(f"#conv-{shop['somchai'].pk}")).to_have_count(0)


def test_assign_and_resolve(new_page, tenant_a, agent_a, shop):
    page = new_page(agent_a, _inbox(tenant_a) + f"?c={shop['lan'].pk}")
    page.select_option("#thread-head select[name=assignee]", "me")
    expect(page.locator("#messages")).to_contain_text("took the conversation")
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("e")  # resolve
    expect(page.locator("#thread-status")).to_contain_text("Resolved")
    shop["lan"].refresh_from_db()
    assert shop["lan"].status == "resolved" and shop["lan"].assignee == agent_a


def test_search_finds_an_old_message(new_page, tenant_a, agent_a, shop):
    page = new_page(agent_a, _inbox(tenant_a))
    page.keyboard.press("/")
    page.keyboard.type("umbrella")
    expect(page.locator("#search-results .search-hit")).to_contain_text("waterproof umbrellas")
    page.fill("#search-box", "ao dai")  # Vietnamese typed without accents
    expect(page.locator("#search-results .search-hit")).to_contain_text("áo dài")
    page.locator("#search-results .search-hit a").first.click()
    expect(page.locator("#thread")).to_contain_text("Lan Nguyen")


def test_a_second_agents_change_shows_up_in_the_first_browser(new_page, tenant_a, agent_a, shop):
    other = UserFactory(email="agent2-a@example.com", first_name="Mai")
    MembershipFactory(tenant=tenant_a, user=other, role="agent")
    first = new_page(agent_a, _inbox(tenant_a) + f"?c={shop['somchai'].pk}")
    expect(first.locator("#inbox")).to_have_attribute("data-live", "on")
    second = new_page(other, _inbox(tenant_a) + f"?c={shop['somchai'].pk}")
    second.select_option("#thread-head select[name=label]", str(shop["label"].pk))
    expect(second.locator("#thread-head .thread-labels")).to_contain_text("vip")
    second.locator("[data-action=resolve]").click()
    expect(second.locator("#thread-status")).to_contain_text("Resolved")
    # The first agent sees the label and the status without reloading.
    expect(first.locator("#thread-status")).to_contain_text("Resolved", timeout=5000)
    expect(first.locator("#thread-head .thread-labels")).to_contain_text("vip")
    expect(first.locator("#messages")).to_contain_text("resolved the conversation")


def test_reply_is_marked_sent_by_the_fake_provider(new_page, tenant_a, agent_a, shop):
    pytest.importorskip("inbox.services.sending", reason="needs the channels work's sending")
    page = new_page(agent_a, _inbox(tenant_a) + f"?c={shop['lan'].pk}")
    page.fill("#composer-text", "Dạ còn ạ")
    page.keyboard.press("Enter")
    expect(page.locator("#messages .msg-out").last).to_contain_text("Dạ còn ạ")
    expect(page.locator("#messages .msg-out .delivery").last).to_contain_text(
        re.compile("Sent|Delivered|Read"), timeout=10_000
    )
