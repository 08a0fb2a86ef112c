"""Orders and bookings for tests, made through the services (numbers, totals, history)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from inbox.commerce import services
from inbox.commerce.money import LineInput
from tests import factories


def make_order(*, tenant, contact=None, conversation=None, currency="THB", lines=None, **kw):
    if conversation is None and contact is None:
        conversation = factories.ConversationFactory(tenant=tenant)
    contact = contact or conversation.contact
    lines = lines or [
        LineInput(kind="item", name="T-shirt", sku="TS-1", quantity=2, unit_price=Decimal("250"))
    ]
    return services.order_create(
        tenant=tenant,
        contact=contact,
        conversation=conversation,
        currency=currency,
        lines=lines,
        **kw,
    )


def make_booking(*, tenant, contact=None, conversation=None, start=None, hours=1, **kw):
    if conversation is None and contact is None:
        conversation = factories.ConversationFactory(tenant=tenant)
    contact = contact or conversation.contact
    start = start or (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    kw.setdefault("service", "Haircut")
    kw.setdefault("resource", "Mai")
    return services.booking_create(
        tenant=tenant,
        contact=contact,
        conversation=conversation,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        **kw,
    )
