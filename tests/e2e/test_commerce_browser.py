"""The contact panel's orders and bookings in a real headless Chromium, inside the inbox.

Uses the browser fixtures of tests/e2e/conftest.py (inbox work); skipped where they are absent.
"""

import pytest
from django.utils import timezone

from inbox.commerce.models import Booking, Order
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_page(request):
    return request.getfixturevalue("new_page")


@pytest.fixture
def lan(tenant_a):
    tenant_a.timezone = "Asia/Ho_Chi_Minh"
    tenant_a.save()
    conversation = ConversationFactory(
        tenant=tenant_a,
        channel=ChannelFactory(tenant=tenant_a, provider="whatsapp", name="Shop WA"),
        contact=ContactFactory(tenant=tenant_a, name="Lan Nguyen"),
        last_message_preview="giao đến 12 Nguyễn Huệ",
    )
    MessageFactory(
        conversation=conversation,
        text="Địa chỉ: 12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        created_at=timezone.now(),
    )
    MessageFactory(
        conversation=conversation, text="sdt 0912 345 678 nhé", created_at=timezone.now()
    )
    return conversation


def test_an_agent_takes_an_order_and_a_booking_from_the_contact_panel(
    open_page, tenant_a, agent_a, lan
):
    from playwright.sync_api import expect

    page = open_page(agent_a, f"/t/{tenant_a.slug}/inbox/?c={lan.pk}")
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    panel = page.locator("#commerce-panel")
    expect(panel).to_contain_text("No orders yet.")

    panel.locator("summary", has_text="New order").click()
    form = panel.locator("form", has=page.locator("button", has_text="Create order"))
    form.locator("[data-add-item-row]").click()
    expect(form.locator(".item-row input[name=item_name]")).to_have_count(4)
    form.locator("input[name=item_name]").first.fill("Áo dài")
    form.locator("input[name=item_qty]").first.fill("2")
    form.locator("input[name=item_price]").first.fill("450000")
    form.locator("input[name=currency]").fill("VND")
    form.locator("button[data-fill-target=phone]").first.click()
    expect(form.locator("input[name=phone]")).to_have_value("+84912345678")
    form.locator("button[data-fill-target=shipping_address]").first.click()
    expect(form.locator("textarea[name=shipping_address]")).to_have_value(
        "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
    )
    form.locator("button", has_text="Create order").click()

    panel = page.locator("#commerce-panel")
    expect(panel).to_contain_text("Order #1 created.")
    expect(panel).to_contain_text("900,000 VND")
    order = Order.objects.get()
    assert (order.conversation_id, order.phone) == (lan.pk, "+84912345678")

    panel.locator("button", has_text="→ Confirmed").click()
    expect(page.locator("#commerce-panel")).to_contain_text("Order #1 is now confirmed.")

    panel = page.locator("#commerce-panel")
    panel.locator("summary", has_text="New booking").click()
    form = panel.locator("form", has=page.locator("button", has_text="Create booking"))
    form.locator("input[name=service]").fill("Hair spa")
    form.locator("input[name=resource]").fill("Mai")
    form.locator("input[name=starts_at]").fill("2030-01-01T10:00")
    form.locator("input[name=ends_at]").fill("2030-01-01T11:00")
    form.locator("button", has_text="Create booking").click()
    expect(page.locator("#commerce-panel")).to_contain_text("Booking for Hair spa created.")
    expect(page.locator("#commerce-panel")).to_contain_text("01/01/2030 10 a.m.–11 a.m.")
    assert Booking.objects.get().starts_at.isoformat() == "2030-01-01T03:00:00+00:00"
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
