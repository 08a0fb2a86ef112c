"""Demo orders and bookings for the demo tenant. Safe to run twice."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from inbox.commerce import notify, services
from inbox.commerce.models import Booking, Order
from inbox.commerce.money import LineInput
from inbox.models import Contact, Conversation

DEMO_MARK = "[demo]"


def _contacts(tenant):
    contacts = list(Contact.objects.for_tenant(tenant).order_by("id")[:3])
    if not contacts:
        contacts = [
            Contact.objects.create(tenant=tenant, name=name, phone=phone)
            for name, phone in (
                ("Nattaya S.", "+66812345678"),
                ("Trần Minh Anh", "+84912345678"),
                ("Siti Rahma", "+6281234567890"),
            )
        ]
    return contacts


def seed_commerce(tenant) -> None:
    if Order.objects.for_tenant(tenant).filter(notes__startswith=DEMO_MARK).exists():
        return
    contacts = _contacts(tenant)
    conversations = {
        c.contact_id: c
        for c in Conversation.objects.for_tenant(tenant).filter(contact__in=contacts)
    }
    first = contacts[0]
    order = services.order_create(
        tenant=tenant,
        contact=first,
        conversation=conversations.get(first.pk),
        currency="THB",
        lines=[
            LineInput(
                kind="item",
                name="Silk scarf (red)",
                sku="SC-RED",
                quantity=2,
                unit_price=Decimal("390"),
            ),
            LineInput(
                kind="item", name="Gift box", sku="GB-01", quantity=1, unit_price=Decimal("49.50")
            ),
            LineInput(kind="discount", name="Discount 10%", rate=Decimal("10")),
            LineInput(kind="shipping", name="Kerry Express", unit_price=Decimal("45")),
            LineInput(kind="tax", name="VAT 7%", rate=Decimal("7")),
        ],
        shipping_address="99/1 Soi Sukhumvit 24, Khlong Tan, Khlong Toei, Bangkok 10110",
        phone="+66812345678",
        notes=f"{DEMO_MARK} Wrap as a gift.",
    )
    services.order_transition(order=order, to_status="confirmed")
    services.order_transition(order=order, to_status="paid")
    second = contacts[1 % len(contacts)]
    services.order_create(
        tenant=tenant,
        contact=second,
        conversation=conversations.get(second.pk),
        currency="VND",
        lines=[
            LineInput(
                kind="item", name="Áo thun", sku="AT-01", quantity=3, unit_price=Decimal("149000")
            ),
            LineInput(kind="shipping", name="GHN", unit_price=Decimal("30000")),
        ],
        shipping_address="12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        notes=f"{DEMO_MARK} COD",
    )
    zone = notify.tenant_zone(tenant)
    tomorrow = timezone.localdate(timezone=zone) + timedelta(days=1)
    for i, contact in enumerate(contacts[:2]):
        if Booking.objects.for_tenant(tenant).filter(contact=contact).exists():
            continue
        start = datetime.combine(tomorrow, time(10 + 2 * i, 0), tzinfo=zone)
        services.booking_create(
            tenant=tenant,
            contact=contact,
            conversation=conversations.get(contact.pk),
            service="Hair spa" if i == 0 else "Manicure",
            resource="Mai",
            starts_at=start,
            ends_at=start + timedelta(hours=1, minutes=30),
            reminder_minutes_before=120,
            notes=DEMO_MARK,
        )
