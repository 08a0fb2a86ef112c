from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from inbox.commerce import services
from inbox.commerce.demo import seed_commerce
from inbox.commerce.models import Booking, Order
from inbox.commerce.money import LineInput
from tests import factories
from tests.commerce.factories import make_booking, make_order

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def conversation(tenant_a):
    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    return factories.ConversationFactory(
        tenant=tenant_a, contact=factories.ContactFactory(tenant=tenant_a, name="Nok")
    )


def panel_url(tenant, conversation):
    base = f"/t/{tenant.slug}/contacts/{conversation.contact_id}/commerce/"
    return f"{base}?conversation={conversation.pk}"


def order_post(conversation, **extra):
    data = {
        "conversation": conversation.pk,
        "item_name": ["Scarf", "", ""],
        "item_sku": ["SC", "", ""],
        "item_qty": ["2", "1", "1"],
        "item_price": ["390", "", ""],
        "currency": "THB",
        "discount_percent": "10",
        "shipping": "45",
        "tax_percent": "7",
        "phone": "+66812345678",
        "shipping_address": "99/1 Soi Sukhumvit 24, Bangkok 10110",
        "payment_status": "unpaid",
        "notes": "",
    }
    data.update(extra)
    return data


def test_the_panel_lists_the_contacts_orders_and_bookings(
    client_for, agent_a, tenant_a, conversation
):
    order = make_order(tenant=tenant_a, conversation=conversation)
    make_booking(tenant=tenant_a, conversation=conversation, service="Hair spa")
    make_order(tenant=tenant_a)  # someone else's order
    response = client_for(agent_a).get(panel_url(tenant_a, conversation))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="commerce-panel"' in html
    assert f"#{order.number}" in html and "500.00 THB" in html
    assert "Hair spa" in html
    assert html.count("data-order=") == 1
    assert "Create order" in html and "Create booking" in html
    assert "<script>" not in html.replace('<script src="/static/js/commerce.js"></script>', "")


def test_a_viewer_sees_the_panel_without_forms_and_cannot_post(
    client_for, viewer_a, tenant_a, conversation
):
    order = make_order(tenant=tenant_a, conversation=conversation)
    client = client_for(viewer_a)
    html = client.get(panel_url(tenant_a, conversation)).content.decode()
    assert f"#{order.number}" in html
    assert "Create order" not in html and "Send summary" not in html
    url = f"/t/{tenant_a.slug}/contacts/{conversation.contact_id}/commerce/orders/"
    assert client.post(url, order_post(conversation)).status_code == 403
    transition = f"/t/{tenant_a.slug}/orders/{order.pk}/transition/"
    assert client.post(transition, {"status": "confirmed"}).status_code == 403


def test_another_tenants_member_gets_404_for_the_panel(client_for, owner_b, tenant_b, tenant_a):
    contact = factories.ContactFactory(tenant=tenant_a)
    url = f"/t/{tenant_b.slug}/contacts/{contact.pk}/commerce/"
    assert client_for(owner_b).get(url).status_code == 404


def test_creating_an_order_from_the_conversation(client_for, agent_a, tenant_a, conversation):
    url = f"/t/{tenant_a.slug}/contacts/{conversation.contact_id}/commerce/orders/"
    response = client_for(agent_a).post(url, order_post(conversation), **HTMX)
    assert response.status_code == 200
    order = Order.objects.get()
    assert "Order #1 created." in response.content.decode()
    assert (order.contact, order.conversation, order.created_by) == (
        conversation.contact,
        conversation,
        agent_a,
    )
    # 780 − 78 + 45 = 747; VAT 7 % = 52.29
    assert order.total == Decimal("799.29")
    assert [line.kind for line in order.lines.all()] == ["item", "discount", "shipping", "tax"]
    assert order.phone == "+66812345678"


def test_an_invalid_order_form_shows_the_errors_in_the_panel(
    client_for, agent_a, tenant_a, conversation
):
    url = f"/t/{tenant_a.slug}/contacts/{conversation.contact_id}/commerce/orders/"
    client = client_for(agent_a)
    data = order_post(conversation, item_price=["abc", "", ""], currency="TOOLONG")
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx
    html = response.content.decode()
    assert "Row 1: the price is not a valid amount." in html
    assert Order.objects.count() == 0
    assert client.post(url, order_post(conversation, item_name=["", "", ""])).status_code == 422


def test_phone_and_address_suggestions_come_from_recent_messages_escaped(
    client_for, agent_a, tenant_a, conversation
):
    factories.MessageFactory(
        conversation=conversation, text="โทร 081-234-5678 ค่ะ", created_at=timezone.now()
    )
    factories.MessageFactory(
        conversation=conversation,
        text='ที่อยู่: 99/1 ซอยสุขุมวิท 24 แขวงคลองตัน <b onmouseover="x">10110</b>',
    )
    factories.MessageFactory(
        conversation=conversation, text="0898765432", direction="out", author_kind="agent"
    )
    html = client_for(agent_a).get(panel_url(tenant_a, conversation)).content.decode()
    assert 'data-fill-value="+66812345678"' in html
    assert "+66898765432" not in html  # our own outbound messages are not suggestions
    assert "ซอยสุขุมวิท 24" in html
    assert '<b onmouseover="x">' not in html
    assert "&lt;b onmouseover=" in html


def test_customer_text_is_escaped_everywhere(client_for, agent_a, tenant_a, conversation):
    conversation.contact.name = "<img src=x onerror=alert(1)>"
    conversation.contact.save()
    order = make_order(
        tenant=tenant_a, conversation=conversation, shipping_address="<script>alert(1)</script>"
    )
    client = client_for(agent_a)
    for url in (
        panel_url(tenant_a, conversation),
        f"/t/{tenant_a.slug}/orders/",
        f"/t/{tenant_a.slug}/orders/{order.pk}/",
    ):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "<script>alert" not in html


def test_changing_status_from_the_panel(client_for, agent_a, tenant_a, conversation):
    order = make_order(tenant=tenant_a, conversation=conversation)
    url = f"/t/{tenant_a.slug}/orders/{order.pk}/transition/"
    client = client_for(agent_a)
    response = client.post(
        url, {"status": "confirmed", "from": "panel", "conversation": conversation.pk}, **HTMX
    )
    assert response.status_code == 200
    assert "Order #1 is now confirmed." in response.content.decode()
    response = client.post(url, {"status": "delivered", "from": "panel"}, **HTMX)
    assert "An order cannot go from confirmed to delivered." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "confirmed"
    event = order.history.filter(field="status").last()
    assert (event.actor, event.from_value, event.to_value) == (agent_a, "draft", "confirmed")


def test_sending_an_order_summary_to_the_customer(
    client_for, agent_a, tenant_a, conversation, sent
):
    order = make_order(tenant=tenant_a, conversation=conversation)
    url = f"/t/{tenant_a.slug}/orders/{order.pk}/send-summary/"
    response = client_for(agent_a).post(url, {"from": "panel"}, **HTMX)
    assert "Summary sent to the customer." in response.content.decode()
    assert len(sent) == 1
    message = sent[0]
    assert message.conversation == conversation and message.author_user == agent_a
    assert message.text.splitlines()[0] == "Order #1"
    assert "- T-shirt × 2: 500.00 THB" in message.text
    assert "Total: 500.00 THB" in message.text


def test_a_refused_summary_shows_the_reason(client_for, agent_a, tenant_a, conversation, sent):
    sent.reject_with = "The 24-hour window has closed: use a template."
    booking = make_booking(tenant=tenant_a, conversation=conversation)
    url = f"/t/{tenant_a.slug}/bookings/{booking.pk}/send-summary/"
    response = client_for(agent_a).post(url, {"from": "panel"}, **HTMX)
    assert "The 24-hour window has closed: use a template." in response.content.decode()


def test_creating_a_booking_in_the_tenants_timezone(client_for, agent_a, tenant_a, conversation):
    url = f"/t/{tenant_a.slug}/contacts/{conversation.contact_id}/commerce/bookings/"
    data = {
        "conversation": conversation.pk,
        "service": "Hair spa",
        "resource": "Mai",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T11:30",
        "reminder": "60",
    }
    client = client_for(agent_a)
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200
    booking = Booking.objects.get()
    assert booking.starts_at == datetime(2030, 1, 1, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok
    assert booking.reminder_minutes_before == 60
    assert "01/01/2030 10 a.m.–11:30 a.m. (Asia/Bangkok)" in response.content.decode()
    clash = client.post(
        url, {**data, "starts_at": "2030-01-01T11:00", "ends_at": "2030-01-01T12:00"}, **HTMX
    )
    assert (
        "Mai is already booked from 01/01/2030 10 a.m. to 11:30 a.m. (Hair spa)."
        in clash.content.decode()
    )
    assert Booking.objects.count() == 1


def test_the_order_pages(client_for, viewer_a, agent_a, tenant_a, conversation):
    order = make_order(tenant=tenant_a, conversation=conversation)
    services.order_transition(order=order, to_status="confirmed")
    make_order(tenant=tenant_a, conversation=conversation)
    client = client_for(viewer_a)
    listed = client.get(f"/t/{tenant_a.slug}/orders/")
    assert listed.status_code == 200 and listed.context["nav"] == "commerce"
    assert (
        client.get(f"/t/{tenant_a.slug}/orders/?status=confirmed").context["page"].object_list[0]
        == order
    )
    detail = client.get(f"/t/{tenant_a.slug}/orders/{order.pk}/")
    html = detail.content.decode()
    assert "Order #1" in html and "History" in html and "Status: Draft → Confirmed" in html
    assert "confirmed" in html


def test_the_order_list_makes_a_fixed_number_of_queries(client_for, agent_a, tenant_a):
    client = client_for(agent_a)
    make_order(tenant=tenant_a)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/t/{tenant_a.slug}/orders/")
    for _ in range(5):
        make_order(tenant=tenant_a)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/t/{tenant_a.slug}/orders/")
    assert len(many) <= len(few)  # the first request also stores the current tenant


def test_editing_an_order_on_its_page(client_for, agent_a, tenant_a, conversation):
    order = make_order(tenant=tenant_a, conversation=conversation)
    url = f"/t/{tenant_a.slug}/orders/{order.pk}/edit/"
    data = order_post(
        conversation,
        item_name=["Hat", ""],
        item_sku=["", ""],
        item_qty=["1", "1"],
        item_price=["100", ""],
        discount_percent="",
        shipping="",
        tax_percent="",
    )
    response = client_for(agent_a).post(url, data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.total == Decimal("100.00")
    assert order.history.filter(field="lines", actor=agent_a).exists()


def test_the_bookings_page_shows_upcoming_bookings_in_local_time(
    client_for, agent_a, tenant_a, conversation
):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    make_booking(tenant=tenant_a, conversation=conversation, start=start, service="Massage")
    make_booking(
        tenant=tenant_a, conversation=conversation, start=start - timedelta(days=5), service="Old"
    )
    html = client_for(agent_a).get(f"/t/{tenant_a.slug}/bookings/").content.decode()
    local = timezone.localtime(start, timezone.get_fixed_timezone(7 * 60))
    assert "Massage" in html and "Old" not in html
    assert date_format(local, "SHORT_DATETIME_FORMAT") in html
    assert local.strftime("%m/%d/%Y") in html  # English: month/day/year


def test_a_czech_agent_sees_booking_times_and_order_totals_as_czech_writes_them(
    client_for, agent_a, tenant_a, conversation
):
    from tenants.models import PersonPreferences

    PersonPreferences.objects.create(user=agent_a, language="cs")
    start = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)  # 15:00 in Bangkok
    make_booking(tenant=tenant_a, conversation=conversation, start=start, service="Masáž")
    html = client_for(agent_a).get(f"/t/{tenant_a.slug}/bookings/?show=all").content.decode()
    assert "04.03.2030 15:00–16:00" in html
    assert "2030-03-04" not in html

    item = LineInput(kind="item", name="Krém", quantity=3, unit_price=Decimal("411.5"))
    order = make_order(tenant=tenant_a, conversation=conversation, currency="CZK", lines=[item])
    yen = make_order(
        tenant=tenant_a,
        conversation=conversation,
        currency="JPY",
        lines=[LineInput(kind="item", name="Tea", quantity=1, unit_price=Decimal("12000"))],
    )
    orders = client_for(agent_a).get(f"/t/{tenant_a.slug}/orders/").content.decode()
    assert "1\xa0234,50 CZK" in orders  # Czech grouping, CZK's two minor units
    assert "12\xa0000 JPY" in orders  # JPY has none
    detail = client_for(agent_a).get(f"/t/{tenant_a.slug}/orders/{order.pk}/").content.decode()
    assert "411,50 CZK" in detail and "1\xa0234,50 CZK" in detail
    assert yen.total == Decimal("12000")


def test_demo_seeding_is_safe_to_run_twice(tenant_a):
    seed_commerce(tenant_a)
    counts = (Order.objects.count(), Booking.objects.count())
    seed_commerce(tenant_a)
    assert (Order.objects.count(), Booking.objects.count()) == counts
    assert counts[0] == 2 and counts[1] == 2


def test_the_panel_links_to_all_orders_of_a_busy_contact(
    client_for, agent_a, tenant_a, conversation
):
    for _ in range(10):
        make_order(tenant=tenant_a, conversation=conversation)
    make_order(tenant=tenant_a)
    client = client_for(agent_a)
    html = client.get(panel_url(tenant_a, conversation)).content.decode()
    link = f"/t/{tenant_a.slug}/orders/?contact={conversation.contact_id}"
    assert link in html
    page = client.get(link).context["page"]
    assert page.paginator.count == 10
    assert "→ Confirmed" in html  # status buttons show translated labels


@pytest.mark.parametrize("role", ["owner_a", "admin_a", "agent_a", "viewer_a"])
def test_every_page_and_action_for_every_role(
    request, role, client_for, tenant_a, conversation, sent
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    order = make_order(tenant=tenant_a, conversation=conversation)
    booking = make_booking(tenant=tenant_a, conversation=conversation)
    slug = tenant_a.slug
    for url in (
        panel_url(tenant_a, conversation),
        f"/t/{slug}/orders/",
        f"/t/{slug}/orders/{order.pk}/",
        f"/t/{slug}/bookings/",
    ):
        assert client.get(url).status_code == 200, url
    writes = [
        (
            f"/t/{slug}/contacts/{conversation.contact_id}/commerce/orders/",
            order_post(conversation),
        ),
        (
            f"/t/{slug}/contacts/{conversation.contact_id}/commerce/bookings/",
            {
                "service": "Nails",
                "resource": "Bee",
                "starts_at": "2030-02-01T10:00",
                "ends_at": "2030-02-01T11:00",
            },
        ),
        (f"/t/{slug}/orders/{order.pk}/transition/", {"status": "confirmed"}),
        (f"/t/{slug}/orders/{order.pk}/edit/", order_post(conversation)),
        (f"/t/{slug}/orders/{order.pk}/send-summary/", {}),
        (f"/t/{slug}/bookings/{booking.pk}/transition/", {"status": "confirmed"}),
        (f"/t/{slug}/bookings/{booking.pk}/send-summary/", {}),
    ]
    for url, data in writes:
        status = client.post(url, data).status_code
        if role == "viewer_a":
            assert status == 403, url
        else:
            assert status in (200, 302), url
    if role == "viewer_a":
        assert (Order.objects.count(), Booking.objects.count(), len(sent)) == (1, 1, 0)
    else:
        assert (Order.objects.count(), Booking.objects.count(), len(sent)) == (2, 2, 2)
        order.refresh_from_db()
        assert order.status == "confirmed"


def test_an_agent_limited_to_their_own_conversations_cannot_attach_orders_to_others(
    client_for, agent_a, admin_a, tenant_a, conversation
):
    tenant_a.agents_see_all = False
    tenant_a.save()
    conversation.assignee = admin_a
    conversation.save()
    client = client_for(agent_a)
    page = client.get(panel_url(tenant_a, conversation), **HTMX)
    assert page.status_code == 200 and page.context["conversation"] is None
    client.post(
        f"/t/{tenant_a.slug}/contacts/{conversation.contact_id}/commerce/orders/",
        order_post(conversation),
        **HTMX,
    )
    assert not Order.objects.filter(conversation=conversation).exists()
