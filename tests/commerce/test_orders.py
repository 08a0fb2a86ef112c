import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from inbox.commerce import services
from inbox.commerce.models import ORDER_TRANSITIONS, Order, OrderStatus
from inbox.commerce.money import LineInput
from tenants.models import AuditLog
from tests import factories
from tests.commerce.factories import make_order

pytestmark = pytest.mark.django_db


def test_order_numbers_count_up_per_tenant(tenant_a, tenant_b):
    a1, a2 = make_order(tenant=tenant_a), make_order(tenant=tenant_a)
    b1 = make_order(tenant=tenant_b)
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)


def test_an_order_stores_lines_totals_and_a_created_history_row(tenant_a, owner_a, crm_events):
    order = make_order(
        tenant=tenant_a,
        currency="thb",
        lines=[
            LineInput(kind="item", name="Scarf", sku="SC", quantity=3, unit_price=Decimal("99.99")),
            LineInput(kind="shipping", name="Post", unit_price=Decimal("40")),
        ],
        actor=services.Actor(user=owner_a),
    )
    order.refresh_from_db()
    assert order.currency == "THB"
    assert order.total == Decimal("339.97")
    assert [(line.kind, line.amount) for line in order.lines.all()] == [
        ("item", Decimal("299.970")),
        ("shipping", Decimal("40.000")),
    ]
    event = order.history.get()
    assert (event.actor, event.field, event.to_value) == (owner_a, "status", "draft")
    assert crm_events[-1][1] == "order.created"
    assert crm_events[-1][2]["number"] == order.number
    assert crm_events[-1][2]["total"] == "339.97"
    assert AuditLog.objects.filter(action="order.created", target_id=str(order.pk)).exists()


def test_an_order_needs_an_item_and_a_conversation_with_that_contact(tenant_a):
    conversation = factories.ConversationFactory(tenant=tenant_a)
    other = factories.ContactFactory(tenant=tenant_a)
    with pytest.raises(ValidationError):
        make_order(
            tenant=tenant_a,
            conversation=conversation,
            lines=[LineInput(kind="shipping", unit_price=Decimal("10"))],
        )
    with pytest.raises(ValidationError):
        make_order(tenant=tenant_a, contact=other, conversation=conversation)


def test_a_contact_of_another_tenant_is_refused(tenant_a, tenant_b):
    contact_b = factories.ContactFactory(tenant=tenant_b)
    with pytest.raises(ValidationError):
        make_order(tenant=tenant_a, contact=contact_b)


@pytest.mark.parametrize(
    "path",
    [
        ["confirmed", "paid", "shipped", "delivered"],
        ["confirmed", "paid", "shipped", "delivered", "refunded"],
        ["confirmed", "paid", "refunded"],
        ["confirmed", "cancelled"],
        ["cancelled"],
    ],
)
def test_allowed_paths_through_the_status_flow(tenant_a, path):
    order = make_order(tenant=tenant_a)
    for status in path:
        order = services.order_transition(order=order, to_status=status)
    assert order.status == path[-1]
    assert [e.to_value for e in order.history.filter(field="status")] == ["draft", *path]


def _all_forbidden():
    for source in OrderStatus.values:
        for target in OrderStatus.values:
            if target not in ORDER_TRANSITIONS[source]:
                yield source, target


@pytest.mark.parametrize(("source", "target"), list(_all_forbidden()))
def test_every_transition_outside_the_table_is_refused(tenant_a, source, target):
    order = make_order(tenant=tenant_a)
    Order.objects.filter(pk=order.pk).update(status=source)
    with pytest.raises(services.TransitionNotAllowed) as caught:
        services.order_transition(order=order, to_status=target)
    assert caught.value.details["from"] == source
    order.refresh_from_db()
    assert order.status == source


def test_paying_and_refunding_set_the_payment_status(tenant_a):
    order = make_order(tenant=tenant_a)
    order = services.order_transition(order=order, to_status="confirmed")
    order = services.order_transition(order=order, to_status="paid")
    assert order.payment_status == "paid"
    order = services.order_transition(order=order, to_status="refunded")
    assert order.payment_status == "refunded"
    fields = [(e.field, e.from_value, e.to_value) for e in order.history.all()]
    assert ("payment_status", "unpaid", "paid") in fields
    assert ("payment_status", "paid", "refunded") in fields


def test_updating_lines_recomputes_totals_and_records_who_changed_what(tenant_a, agent_a):
    order = make_order(tenant=tenant_a)
    order = services.order_update(
        order=order,
        actor=services.Actor(user=agent_a),
        lines=[LineInput(kind="item", name="Hat", quantity=1, unit_price=Decimal("120"))],
        notes="Leave at the door",
    )
    assert order.total == Decimal("120.00")
    changes = {e.field: (e.from_value, e.to_value, e.actor) for e in order.history.all()}
    assert changes["lines"] == ("500.00 THB", "120.00 THB", agent_a)
    assert changes["notes"] == ("", "Leave at the door", agent_a)


def test_lines_are_locked_after_payment_but_notes_are_not(tenant_a):
    order = make_order(tenant=tenant_a)
    services.order_transition(order=order, to_status="confirmed")
    services.order_transition(order=order, to_status="paid")
    with pytest.raises(services.OrderLocked):
        services.order_update(
            order=order, lines=[LineInput(kind="item", name="Hat", unit_price=Decimal("1"))]
        )
    with pytest.raises(services.OrderLocked):
        services.order_update(order=order, currency="USD")
    order = services.order_update(order=order, notes="Fragile")
    assert order.notes == "Fragile"


def test_changing_the_currency_re_rounds_the_lines(tenant_a):
    order = make_order(
        tenant=tenant_a,
        lines=[LineInput(kind="item", name="Tea", quantity=1, unit_price=Decimal("10.50"))],
    )
    order = services.order_update(order=order, currency="JPY")
    assert order.total == Decimal("11")


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_get_unique_consecutive_numbers(tenant_a):
    conversation = factories.ConversationFactory(tenant=tenant_a)
    numbers, errors = [], []
    barrier = threading.Barrier(6)

    def worker():
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                numbers.append(make_order(tenant=tenant_a, conversation=conversation).number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(numbers) == list(range(1, 31))
