from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from inbox.commerce import services
from inbox.commerce.models import Booking, Order
from tenants.services import api_key_create
from tests import factories
from tests.commerce.factories import make_booking, make_order

pytestmark = pytest.mark.django_db

ROLES = ["owner_a", "admin_a", "agent_a", "viewer_a"]
WRITERS = {"owner_a", "admin_a", "agent_a"}


def session_client(user, tenant):
    client = APIClient()
    client.force_login(user)
    client.credentials(HTTP_X_PARLEY_TENANT=tenant.slug)
    return client


def key_client(tenant, read_only=False):
    client = APIClient()
    raw = api_key_create(tenant=tenant, name="crm", read_only=read_only).raw_key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def conversation_a(tenant_a):
    return factories.ConversationFactory(tenant=tenant_a)


def order_body(conv, **extra):
    body = {
        "contact": conv.contact_id,
        "conversation": conv.pk,
        "currency": "THB",
        "lines": [
            {"name": "Scarf", "sku": "SC-1", "quantity": 2, "unit_price": "199.50"},
            {"kind": "discount", "rate": "10"},
            {"kind": "shipping", "name": "Kerry", "unit_price": "40"},
            {"kind": "tax", "name": "VAT", "rate": "7"},
        ],
        "shipping_address": "1 Sukhumvit Rd, Bangkok 10110",
    }
    body.update(extra)
    return body


def booking_body(conv, start, **extra):
    body = {
        "contact": conv.contact_id,
        "conversation": conv.pk,
        "service": "Haircut",
        "resource": "Mai",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "reminder_minutes_before": 60,
    }
    body.update(extra)
    return body


# --- orders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_orders_and_only_staff_write(request, role, tenant_a, conversation_a):
    user = request.getfixturevalue(role)
    client = session_client(user, tenant_a)
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    listed = client.get("/api/v1/orders/")
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()["results"]] == [order.pk]
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 200

    created = client.post("/api/v1/orders/", order_body(conversation_a), format="json")
    moved = client.post(
        f"/api/v1/orders/{order.pk}/transition/", {"status": "confirmed"}, format="json"
    )
    patched = client.patch(f"/api/v1/orders/{order.pk}/", {"notes": "x"}, format="json")
    expected = (201, 200, 200) if role in WRITERS else (403, 403, 403)
    assert (created.status_code, moved.status_code, patched.status_code) == expected
    if role not in WRITERS:
        assert created.json()["error"]["code"] == "permission_denied"


def test_creating_an_order_computes_totals_on_the_server(tenant_a, conversation_a, crm_events):
    client = key_client(tenant_a)
    response = client.post(
        "/api/v1/orders/", order_body(conversation_a, total="1.00", status="paid"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    # 2 × 199.50 = 399.00; −10 % = −39.90; +40 shipping; 7 % of 399.10 = 27.937 → 27.94
    assert body["subtotal"] == "399.00"
    assert body["discount_total"] == "39.90"
    assert body["shipping_total"] == "40.00"
    assert body["tax_total"] == "27.94"
    assert body["total"] == "427.04"
    assert body["status"] == "draft"  # the client cannot set status or totals
    assert body["number"] == 1
    assert [line["amount"] for line in body["lines"]] == ["399.00", "-39.90", "40.00", "27.94"]
    assert body["allowed_transitions"] == ["confirmed", "cancelled"]
    assert body["history"][0]["actor"] == "API key crm"
    assert crm_events[-1][1] == "order.created"


def test_vnd_orders_have_no_decimals(tenant_a, conversation_a):
    client = key_client(tenant_a)
    body = order_body(
        conversation_a,
        currency="VND",
        lines=[{"name": "Áo", "quantity": 3, "unit_price": "149999.5"}],
    )
    response = client.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201
    assert response.json()["total"] == "450000"
    assert response.json()["lines"][0]["unit_price"] == "150000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"name": "x", "quantity": 0, "unit_price": "1"}]}, "lines"),
        ({"lines": [{"name": "x", "unit_price": "-1"}]}, "lines"),
        ({"lines": [{"name": "x", "unit_price": 1}]}, "lines"),
        ({"currency": "B1"}, "currency"),
        ({"contact": "1"}, "contact"),
    ],
)
def test_orders_against_the_schema_are_400_with_details(tenant_a, conversation_a, body, field):
    response = key_client(tenant_a).post(
        "/api/v1/orders/", order_body(conversation_a, **body), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["details"]
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"kind": "shipping", "unit_price": "5"}]}, "lines"),
        ({"lines": [{"kind": "item", "unit_price": "5"}]}, "lines"),
        ({"contact": 999999}, "contact"),
    ],
)
def test_orders_that_fit_the_schema_but_break_a_rule_are_422(tenant_a, conversation_a, body, field):
    response = key_client(tenant_a).post(
        "/api/v1/orders/", order_body(conversation_a, **body), format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unprocessable"
    assert field in response.json()["error"]["details"]
    assert Order.objects.count() == 0


def test_a_contact_or_conversation_of_another_tenant_cannot_be_used(
    tenant_a, tenant_b, conversation_a
):
    conversation_b = factories.ConversationFactory(tenant=tenant_b)
    client = key_client(tenant_a)
    response = client.post(
        "/api/v1/orders/",
        order_body(conversation_a, contact=conversation_b.contact_id),
        format="json",
    )
    assert response.status_code == 422
    response = client.post(
        "/api/v1/orders/", order_body(conversation_a, conversation=conversation_b.pk), format="json"
    )
    assert response.status_code == 422
    assert Order.objects.count() == 0


def test_a_forbidden_transition_is_409_with_the_standard_error(tenant_a, conversation_a):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    response = key_client(tenant_a).post(
        f"/api/v1/orders/{order.pk}/transition/", {"status": "shipped"}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] == "An order cannot go from draft to shipped."
    assert error["details"] == {
        "from": "draft",
        "to": "shipped",
        "allowed": ["confirmed", "cancelled"],
    }


def test_an_unknown_status_is_400(tenant_a, conversation_a):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    response = key_client(tenant_a).post(
        f"/api/v1/orders/{order.pk}/transition/", {"status": "lost"}, format="json"
    )
    assert response.status_code == 400


def test_the_full_flow_over_the_api_keeps_a_history(tenant_a, conversation_a, crm_events):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    client = key_client(tenant_a)
    for status in ["confirmed", "paid", "shipped", "delivered"]:
        response = client.post(
            f"/api/v1/orders/{order.pk}/transition/",
            {"status": status, "note": f"to {status}"},
            format="json",
        )
        assert response.status_code == 200
    body = response.json()
    assert body["status"] == "delivered" and body["payment_status"] == "paid"
    assert [(h["field"], h["from_value"], h["to_value"]) for h in body["history"]][-1] == (
        "status",
        "shipped",
        "delivered",
    )
    assert [e[1] for e in crm_events].count("order.updated") == 4


def test_lines_of_a_paid_order_cannot_change_409(tenant_a, conversation_a):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    services.order_transition(order=order, to_status="confirmed")
    services.order_transition(order=order, to_status="paid")
    client = key_client(tenant_a)
    response = client.patch(
        f"/api/v1/orders/{order.pk}/",
        {"lines": [{"name": "Free", "unit_price": "0"}]},
        format="json",
    )
    assert response.status_code == 409
    response = client.patch(f"/api/v1/orders/{order.pk}/", {"phone": "+66812345678"}, format="json")
    assert response.status_code == 200 and response.json()["phone"] == "+66812345678"


def test_put_replaces_lines_and_keeps_the_contact(tenant_a, conversation_a):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    other = factories.ContactFactory(tenant=tenant_a)
    response = key_client(tenant_a).put(
        f"/api/v1/orders/{order.pk}/",
        {
            "contact": other.pk,
            "currency": "USD",
            "payment_status": "pending",
            "lines": [{"name": "Hat", "quantity": 1, "unit_price": "12.345"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["contact"] == conversation_a.contact_id
    assert body["currency"] == "USD" and body["total"] == "12.35"
    assert body["payment_status"] == "pending"


def test_a_read_only_key_reads_but_cannot_write(tenant_a, conversation_a):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    client = key_client(tenant_a, read_only=True)
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert (
        client.post("/api/v1/orders/", order_body(conversation_a), format="json").status_code == 403
    )
    assert (
        client.post(f"/api/v1/orders/{order.pk}/transition/", {"status": "confirmed"}).status_code
        == 403
    )


def test_another_tenants_orders_and_bookings_are_404_and_never_listed(
    tenant_a, tenant_b, owner_b, conversation_a
):
    order = make_order(tenant=tenant_a, conversation=conversation_a)
    booking = make_booking(tenant=tenant_a, conversation=conversation_a)
    for client in (key_client(tenant_b), session_client(owner_b, tenant_b)):
        assert client.get("/api/v1/orders/").json()["results"] == []
        assert client.get("/api/v1/bookings/").json()["results"] == []
        for path in (f"/api/v1/orders/{order.pk}/", f"/api/v1/bookings/{booking.pk}/"):
            assert client.get(path).status_code == 404
            assert client.patch(path, {"notes": "x"}, format="json").status_code == 404
            assert client.put(path, {}, format="json").status_code == 404
            response = client.post(path + "transition/", {"status": "cancelled"}, format="json")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
    order.refresh_from_db()
    booking.refresh_from_db()
    assert (order.status, order.notes, booking.status) == ("draft", "", "pending")


def test_a_session_user_of_tenant_b_cannot_pick_tenant_a_by_header(tenant_a, owner_b):
    client = session_client(owner_b, tenant_a)
    assert client.get("/api/v1/orders/").status_code == 404


def test_order_filters(tenant_a, conversation_a):
    other = factories.ConversationFactory(tenant=tenant_a)
    first = make_order(tenant=tenant_a, conversation=conversation_a)
    second = make_order(tenant=tenant_a, conversation=other)
    services.order_transition(order=second, to_status="confirmed")
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=3))
    client = key_client(tenant_a)

    def ids(query):
        response = client.get("/api/v1/orders/?" + query)
        assert response.status_code == 200, response.json()
        return [o["id"] for o in response.json()["results"]]

    assert ids("status=confirmed") == [second.pk]
    assert ids("status=draft&status=confirmed") == [second.pk, first.pk]
    assert ids(f"contact={conversation_a.contact_id}") == [first.pk]
    assert ids(f"conversation={other.pk}") == [second.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids("created_after=" + since.replace("+", "%2B")) == [second.pk]
    assert ids("created_before=" + since.replace("+", "%2B")) == [first.pk]
    assert client.get("/api/v1/orders/?status=lost").status_code == 400


def test_order_list_is_cursor_paginated_and_stable_under_inserts(tenant_a, conversation_a):
    for _ in range(5):
        make_order(tenant=tenant_a, conversation=conversation_a)
    client = key_client(tenant_a)
    page1 = client.get("/api/v1/orders/?page_size=2").json()
    make_order(tenant=tenant_a, conversation=conversation_a)  # a new order arrives meanwhile
    page2 = client.get(page1["next"]).json()
    page3 = client.get(page2["next"]).json()
    seen = [o["number"] for o in page1["results"] + page2["results"] + page3["results"]]
    assert seen == [5, 4, 3, 2, 1]
    assert page3["next"] is None


def test_the_order_list_makes_a_fixed_number_of_queries(tenant_a, conversation_a):
    client = key_client(tenant_a)
    make_order(tenant=tenant_a, conversation=conversation_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/orders/").status_code == 200
    for _ in range(6):
        order = make_order(tenant=tenant_a, conversation=conversation_a)
        services.order_transition(order=order, to_status="confirmed")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/orders/")
    assert len(response.json()["results"]) == 7
    assert len(many) <= len(few)  # the first call also records the key's last use


# --- bookings -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_bookings_and_only_staff_write(request, role, tenant_a, conversation_a):
    user = request.getfixturevalue(role)
    client = session_client(user, tenant_a)
    booking = make_booking(tenant=tenant_a, conversation=conversation_a)
    assert client.get("/api/v1/bookings/").status_code == 200
    assert client.get(f"/api/v1/bookings/{booking.pk}/").status_code == 200
    start = timezone.now() + timedelta(days=3)
    created = client.post("/api/v1/bookings/", booking_body(conversation_a, start), format="json")
    moved = client.post(
        f"/api/v1/bookings/{booking.pk}/transition/", {"status": "confirmed"}, format="json"
    )
    patched = client.patch(f"/api/v1/bookings/{booking.pk}/", {"notes": "x"}, format="json")
    expected = (201, 200, 200) if role in WRITERS else (403, 403, 403)
    assert (created.status_code, moved.status_code, patched.status_code) == expected


def test_an_overlapping_booking_is_409(tenant_a, conversation_a, crm_events):
    client = key_client(tenant_a)
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    first = client.post("/api/v1/bookings/", booking_body(conversation_a, start), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "pending"
    assert crm_events[-1][1] == "booking.created"
    clash = client.post(
        "/api/v1/bookings/",
        booking_body(conversation_a, start + timedelta(minutes=30), resource="MAI"),
        format="json",
    )
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"].startswith("Mai is already booked from ")
    assert error["details"] == {"conflicting_booking": first.json()["id"]}
    assert Booking.objects.count() == 1


def test_moving_a_booking_onto_another_over_the_api_is_409(tenant_a, conversation_a):
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    make_booking(tenant=tenant_a, conversation=conversation_a, start=start)
    later = make_booking(
        tenant=tenant_a, conversation=conversation_a, start=start + timedelta(hours=3)
    )
    response = key_client(tenant_a).patch(
        f"/api/v1/bookings/{later.pk}/",
        {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 409


def test_a_booking_ending_before_it_starts_is_422(tenant_a, conversation_a):
    start = timezone.now() + timedelta(days=2)
    response = key_client(tenant_a).post(
        "/api/v1/bookings/",
        booking_body(conversation_a, start, ends_at=start.isoformat()),
        format="json",
    )
    assert response.status_code == 422
    assert "ends_at" in response.json()["error"]["details"]


def test_a_forbidden_booking_transition_is_409(tenant_a, conversation_a):
    booking = make_booking(tenant=tenant_a, conversation=conversation_a)
    response = key_client(tenant_a).post(
        f"/api/v1/bookings/{booking.pk}/transition/", {"status": "no_show"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["details"]["allowed"] == ["confirmed", "cancelled"]


def test_booking_filters_and_query_count(tenant_a, conversation_a):
    start = timezone.now() + timedelta(days=1)
    a = make_booking(tenant=tenant_a, conversation=conversation_a, start=start)
    b = make_booking(
        tenant=tenant_a,
        conversation=conversation_a,
        start=start + timedelta(days=2),
        resource="Room 2",
    )
    services.booking_transition(booking=b, to_status="confirmed")
    client = key_client(tenant_a)

    def ids(query):
        response = client.get("/api/v1/bookings/?" + query)
        assert response.status_code == 200, response.json()
        return [x["id"] for x in response.json()["results"]]

    assert ids("") == [a.pk, b.pk]
    assert ids("status=confirmed") == [b.pk]
    assert ids("resource=room 2") == [b.pk]
    cut = (start + timedelta(days=1)).isoformat().replace("+", "%2B")
    assert ids("starts_after=" + cut) == [b.pk]
    assert ids("starts_before=" + cut) == [a.pk]
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/bookings/")
    for i in range(5):
        make_booking(
            tenant=tenant_a, conversation=conversation_a, start=start + timedelta(days=10 + i)
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/bookings/")
    assert len(many) <= len(few)  # the first call also records the key's last use


def test_the_schema_describes_the_commerce_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    transition = paths["/api/v1/orders/{id}/transition/"]["post"]
    assert {"200", "409"} <= set(transition["responses"])
    assert "409" in paths["/api/v1/bookings/"]["post"]["responses"]
    params = {p["name"] for p in paths["/api/v1/orders/"]["get"]["parameters"]}
    assert {
        "status",
        "contact",
        "conversation",
        "created_after",
        "created_before",
        "cursor",
    } <= params


@pytest.mark.parametrize(
    "body",
    [
        {"contact": 2**70},
        {"conversation": 2**70},
        {"lines": [{"name": "x", "quantity": 1_000_000, "unit_price": "999999999999999.999"}]},
        {"lines": [{"name": "x", "unit_price": "1e400"}]},
        {"lines": [{"name": "x\x00y", "unit_price": "1"}]},
    ],
)
def test_hostile_order_input_is_400_not_500(tenant_a, conversation_a, body):
    response = key_client(tenant_a).post(
        "/api/v1/orders/", order_body(conversation_a, **body), format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["contact=99999999999999999999999", "created_after=yesterday", "status=x", "page_size=-1"],
)
def test_hostile_filters_are_not_500(tenant_a, query):
    response = key_client(tenant_a).get("/api/v1/orders/?" + query)
    assert response.status_code in (200, 400)


def test_a_booking_near_year_one_with_a_reminder_is_not_500(tenant_a, conversation_a):
    response = key_client(tenant_a).post(
        "/api/v1/bookings/",
        {
            "contact": conversation_a.contact_id,
            "service": "x",
            "resource": "y",
            "starts_at": "0001-01-01T00:00:00Z",
            "ends_at": "0001-01-01T01:00:00Z",
            "reminder_minutes_before": 600,
        },
        format="json",
    )
    assert response.status_code in (201, 400)


def test_a_retried_post_with_the_same_idempotency_key_creates_one_order(tenant_a, conversation_a):
    client = key_client(tenant_a)
    body = order_body(conversation_a)
    first = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1
    other = client.post(
        "/api/v1/orders/",
        order_body(conversation_a, notes="x"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 409


@pytest.mark.parametrize(
    "value",
    ["0351-08-25T20:16:52.5742-23:16", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"],
)
def test_odd_dates_in_filters_are_400_or_200_never_500(tenant_a, value):
    client = key_client(tenant_a)
    for path in ("/api/v1/orders/", "/api/v1/bookings/"):
        response = client.get(path, {"created_after": value, "created_before": value})
        assert response.status_code in (200, 400)
