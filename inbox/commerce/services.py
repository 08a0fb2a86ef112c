"""Writes of orders and bookings. Keyword-only, atomic; every change leaves a history row and
a CRM event (`order.created|updated`, `booking.created|updated`)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.commerce import notify
from inbox.commerce.models import (
    BOOKING_INACTIVE,
    BOOKING_TRANSITIONS,
    ORDER_TRANSITIONS,
    Booking,
    BookingEvent,
    BookingStatus,
    LineKind,
    Order,
    OrderCounter,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from inbox.commerce.money import LineInput, compute_totals, format_amount, quantize
from inbox.models import Contact, Conversation
from tenants.services import audit_log_record

log = logging.getLogger(__name__)


class CommerceConflict(Exception):
    """A request that conflicts with the current state (HTTP 409 in the API)."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class TransitionNotAllowed(CommerceConflict):
    pass


class OrderLocked(CommerceConflict):
    pass


class BookingOverlap(CommerceConflict):
    pass


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, or an API key / the system (user None, label set)."""

    user: object = None
    label: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, label="system")

    @property
    def display(self) -> str:
        if self.user is not None:
            return self.user.get_full_name() or self.user.email
        return self.label


def actor_from_request(request) -> Actor:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor(user=user)
    api_key = getattr(request, "auth", None)
    if api_key is not None and hasattr(api_key, "name"):
        return Actor(label=f"API key {api_key.name}")
    return Actor.system()


def _json(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _emit(*, tenant, event_type: str, obj) -> None:
    from inbox.commerce.serializers import BookingSerializer, OrderSerializer

    serializer = OrderSerializer if isinstance(obj, Order) else BookingSerializer
    effects.webhook_event(
        tenant=tenant, event_type=event_type, data=lambda: _json(serializer(obj).data)
    )


def _check_contact_conversation(*, tenant, contact: Contact, conversation: Conversation | None):
    if contact.tenant_id != tenant.pk:
        raise ValidationError({"contact": _("Unknown contact.")})
    if conversation is not None and (
        conversation.tenant_id != tenant.pk or conversation.contact_id != contact.pk
    ):
        raise ValidationError({"conversation": _("This conversation is not with this contact.")})


# --- Orders ---------------------------------------------------------------------------------


def _next_order_number(tenant) -> int:
    """Allocate the tenant's next order number. The UPDATE locks the counter row until the
    surrounding transaction ends, so concurrent orders get distinct, gap-free numbers."""
    OrderCounter.objects.bulk_create([OrderCounter(tenant=tenant)], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {OrderCounter._meta.db_table} SET last_number = last_number + 1 "  # noqa: S608
            "WHERE tenant_id = %s RETURNING last_number",
            [tenant.pk],
        )
        return cursor.fetchone()[0]


def _validate_currency(currency: str) -> str:
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Use a three-letter ISO 4217 code, e.g. THB.")})
    return currency


def _validate_lines(lines: list[LineInput]) -> None:
    if not any(line.kind == LineKind.ITEM for line in lines):
        raise ValidationError({"lines": _("An order needs at least one item.")})
    for line in lines:
        if line.kind not in LineKind.values:
            raise ValidationError({"lines": _("Unknown line kind %(kind)s.") % {"kind": line.kind}})
        if line.kind == LineKind.ITEM:
            if not line.name.strip():
                raise ValidationError({"lines": _("Every item needs a name.")})
            if line.quantity < 1:
                raise ValidationError({"lines": _("Quantities must be at least 1.")})
        if Decimal(line.unit_price) < 0:
            raise ValidationError({"lines": _("Prices and amounts cannot be negative.")})
        if line.rate is not None and not (0 <= Decimal(line.rate) <= 100):
            raise ValidationError({"lines": _("Percentages must be between 0 and 100.")})


MAX_AMOUNT = Decimal(10) ** 14  # the columns hold 18 digits, 3 after the point
MAX_LINES = 200


def _write_lines(order: Order, lines: list[LineInput]) -> None:
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("An order has at most %(n)s lines.") % {"n": MAX_LINES}})
    totals = compute_totals(lines, order.currency)
    if any(abs(amount) >= MAX_AMOUNT for amount in (*totals.line_amounts, totals.subtotal)):
        raise ValidationError({"lines": _("These amounts are too large.")})
    OrderLine.objects.filter(order=order).delete()
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                tenant_id=order.tenant_id,
                order=order,
                position=i,
                kind=line.kind,
                name=line.name.strip() or LineKind(line.kind).label,
                sku=line.sku.strip(),
                quantity=line.quantity,
                unit_price=quantize(Decimal(line.unit_price), order.currency),
                rate=line.rate,
                amount=amount,
            )
            for i, (line, amount) in enumerate(zip(lines, totals.line_amounts, strict=True))
        ]
    )
    order.subtotal = totals.subtotal
    order.discount_total = totals.discount_total
    order.shipping_total = totals.shipping_total
    order.tax_total = totals.tax_total
    order.total = totals.total


def _order_event(order, actor: Actor, field: str, old, new, note: str = "") -> None:
    OrderEvent.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        actor=actor.user,
        actor_label=actor.label,
        field=field,
        from_value="" if old is None else str(old),
        to_value="" if new is None else str(new),
        note=note,
    )


@transaction.atomic
def order_create(
    *,
    tenant,
    contact: Contact,
    lines: list[LineInput],
    currency: str = "THB",
    conversation: Conversation | None = None,
    shipping_address: str = "",
    phone: str = "",
    notes: str = "",
    payment_status: str = PaymentStatus.UNPAID,
    actor: Actor | None = None,
) -> Order:
    actor = actor or Actor.system()
    _check_contact_conversation(tenant=tenant, contact=contact, conversation=conversation)
    currency = _validate_currency(currency)
    _validate_lines(lines)
    if payment_status not in PaymentStatus.values:
        raise ValidationError({"payment_status": _("Unknown payment status.")})
    order = Order(
        tenant=tenant,
        number=_next_order_number(tenant),
        contact=contact,
        conversation=conversation,
        currency=currency,
        shipping_address=shipping_address.strip(),
        phone=phone.strip(),
        notes=notes.strip(),
        payment_status=payment_status,
        created_by=actor.user,
    )
    order.save()
    _write_lines(order, lines)
    order.save(update_fields=["subtotal", "discount_total", "shipping_total", "tax_total", "total"])
    _order_event(order, actor, "status", None, order.status, note=_("Order created"))
    audit_log_record(
        tenant=tenant,
        actor=actor.user,
        action="order.created",
        target=order,
        details={"number": order.number, "total": str(order.total), "by": actor.display},
    )
    _emit(tenant=tenant, event_type="order.created", obj=order)
    return order


ORDER_UPDATABLE = ("currency", "shipping_address", "phone", "notes", "payment_status")


@transaction.atomic
def order_update(
    *, order: Order, actor: Actor | None = None, lines: list[LineInput] | None = None, **fields
) -> Order:
    actor = actor or Actor.system()
    unknown = set(fields) - set(ORDER_UPDATABLE)
    if unknown:
        raise TypeError(f"order_update cannot change {sorted(unknown)}")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if "currency" in fields:
        fields["currency"] = _validate_currency(fields["currency"])
    if "payment_status" in fields and fields["payment_status"] not in PaymentStatus.values:
        raise ValidationError({"payment_status": _("Unknown payment status.")})
    changed = {k: v for k, v in fields.items() if getattr(order, k) != v}
    if (lines is not None or "currency" in changed) and not order.lines_editable:
        raise OrderLocked(
            _("Items and prices of a %(status)s order cannot change.")
            % {"status": order.get_status_display().lower()},
            {"status": order.status},
        )
    for key, value in changed.items():
        _order_event(order, actor, key, getattr(order, key), value)
        setattr(order, key, value)
    update_fields = list(changed)
    if lines is not None or "currency" in changed:
        if lines is None:
            lines = [
                LineInput(
                    kind=line.kind,
                    name=line.name,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    rate=line.rate,
                )
                for line in order.lines.all()
            ]
        _validate_lines(lines)
        old_total = format_amount(order.total, order.currency)
        _write_lines(order, lines)
        new_total = format_amount(order.total, order.currency)
        _order_event(order, actor, "lines", old_total, new_total)
        update_fields += ["subtotal", "discount_total", "shipping_total", "tax_total", "total"]
    if update_fields:
        order.save(update_fields=[*update_fields, "updated_at"])
        _emit(tenant=order.tenant, event_type="order.updated", obj=order)
    return order


@transaction.atomic
def order_transition(*, order: Order, to_status: str, actor: Actor | None = None, note: str = ""):
    actor = actor or Actor.system()
    if to_status not in OrderStatus.values:
        raise ValidationError({"status": _("Unknown status %(status)s.") % {"status": to_status}})
    order = Order.objects.select_for_update().select_related("tenant").get(pk=order.pk)
    if to_status not in ORDER_TRANSITIONS[order.status]:
        raise TransitionNotAllowed(
            _("An order cannot go from %(from)s to %(to)s.")
            % {
                "from": order.get_status_display().lower(),
                "to": OrderStatus(to_status).label.lower(),
            },
            {"from": order.status, "to": to_status, "allowed": order.allowed_transitions},
        )
    old = order.status
    order.status = to_status
    update_fields = ["status", "updated_at"]
    _order_event(order, actor, "status", old, to_status, note=note)
    payment = {OrderStatus.PAID: PaymentStatus.PAID, OrderStatus.REFUNDED: PaymentStatus.REFUNDED}
    if to_status in payment and order.payment_status != payment[to_status]:
        _order_event(order, actor, "payment_status", order.payment_status, payment[to_status])
        order.payment_status = payment[to_status]
        update_fields.append("payment_status")
    order.save(update_fields=update_fields)
    audit_log_record(
        tenant=order.tenant,
        actor=actor.user,
        action="order.status_changed",
        target=order,
        details={"number": order.number, "from": old, "to": to_status, "by": actor.display},
    )
    _emit(tenant=order.tenant, event_type="order.updated", obj=order)
    return order


def order_send_summary(*, order: Order, actor: Actor | None = None):
    """Send the order's summary to the customer in its conversation (or their latest one)."""
    actor = actor or Actor.system()
    conversation = notify.conversation_for(
        tenant=order.tenant, contact=order.contact, conversation=order.conversation
    )
    if conversation is None:
        raise notify.SendFailed(_("This contact has no conversation to send the summary to."))
    message = notify.send_to_customer(
        conversation=conversation,
        text=notify.order_summary_text(order),
        author_user=actor.user,
        author_kind="agent" if actor.user is not None else "bot",
    )
    _order_event(order, actor, "summary_sent", None, f"conversation {conversation.pk}")
    return message


# --- Bookings -------------------------------------------------------------------------------


def _validate_booking_times(starts_at: datetime, ends_at: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError({"starts_at": _("Times must include a timezone.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})


def _overlapping(booking: Booking):
    return (
        Booking.objects.for_tenant(booking.tenant)
        .filter(
            resource__iexact=booking.resource.strip(),
            starts_at__lt=booking.ends_at,
            ends_at__gt=booking.starts_at,
        )
        .exclude(status__in=list(BOOKING_INACTIVE))
        .exclude(pk=booking.pk)
        .order_by("starts_at")
        .first()
    )


def _overlap_error(booking: Booking, other: Booking | None) -> BookingOverlap:
    if other is None:
        return BookingOverlap(
            _("%(resource)s is already booked at an overlapping time.")
            % {"resource": booking.resource}
        )
    start = notify.local(other.starts_at, booking.tenant)
    end = notify.local(other.ends_at, booking.tenant)
    return BookingOverlap(
        _("%(resource)s is already booked from %(start)s to %(end)s (%(service)s).")
        % {
            "resource": other.resource,
            "start": start.strftime("%Y-%m-%d %H:%M"),
            "end": end.strftime("%H:%M")
            if start.date() == end.date()
            else end.strftime("%Y-%m-%d %H:%M"),
            "service": other.service,
        },
        {"conflicting_booking": other.pk},
    )


def _save_booking(booking: Booking, **kwargs) -> None:
    """Save, turning the database's exclusion-constraint refusal into BookingOverlap.

    The Python pre-check only gives a nicer message; the constraint is what holds under
    concurrency."""
    if booking.status not in BOOKING_INACTIVE:
        other = _overlapping(booking)
        if other is not None:
            raise _overlap_error(booking, other)
    try:
        with transaction.atomic():
            booking.save(**kwargs)
    except IntegrityError as exc:
        if "booking_no_overlap" in str(exc):
            raise _overlap_error(booking, _overlapping(booking)) from exc
        raise


def _remind_at(booking: Booking):
    if booking.reminder_minutes_before is None:
        return None
    try:
        return booking.starts_at - timedelta(minutes=booking.reminder_minutes_before)
    except OverflowError:  # a start near year 1
        return None


def _booking_event(booking, actor: Actor, field: str, old, new) -> None:
    BookingEvent.objects.create(
        tenant_id=booking.tenant_id,
        booking=booking,
        actor=actor.user,
        actor_label=actor.label,
        field=field,
        from_value="" if old is None else str(old),
        to_value="" if new is None else str(new),
    )


@transaction.atomic
def booking_create(
    *,
    tenant,
    contact: Contact,
    service: str,
    resource: str,
    starts_at: datetime,
    ends_at: datetime,
    conversation: Conversation | None = None,
    notes: str = "",
    reminder_minutes_before: int | None = None,
    actor: Actor | None = None,
) -> Booking:
    actor = actor or Actor.system()
    _check_contact_conversation(tenant=tenant, contact=contact, conversation=conversation)
    _validate_booking_times(starts_at, ends_at)
    if not service.strip() or not resource.strip():
        raise ValidationError({"service": _("Service and staff/resource are required.")})
    booking = Booking(
        tenant=tenant,
        contact=contact,
        conversation=conversation,
        service=service.strip(),
        resource=resource.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes.strip(),
        reminder_minutes_before=reminder_minutes_before,
        created_by=actor.user,
    )
    booking.remind_at = _remind_at(booking)
    _save_booking(booking)
    _booking_event(booking, actor, "status", None, booking.status)
    _emit(tenant=tenant, event_type="booking.created", obj=booking)
    return booking


BOOKING_UPDATABLE = (
    "service",
    "resource",
    "starts_at",
    "ends_at",
    "notes",
    "reminder_minutes_before",
)


@transaction.atomic
def booking_update(*, booking: Booking, actor: Actor | None = None, **fields) -> Booking:
    actor = actor or Actor.system()
    unknown = set(fields) - set(BOOKING_UPDATABLE)
    if unknown:
        raise TypeError(f"booking_update cannot change {sorted(unknown)}")
    booking = Booking.objects.select_for_update().select_related("tenant").get(pk=booking.pk)
    changed = {k: v for k, v in fields.items() if getattr(booking, k) != v}
    if not changed:
        return booking
    if booking.status in BOOKING_INACTIVE or booking.status == BookingStatus.COMPLETED:
        raise CommerceConflict(
            _("A %(status)s booking cannot be changed.")
            % {"status": booking.get_status_display().lower()}
        )
    for key, value in changed.items():
        _booking_event(booking, actor, key, getattr(booking, key), value)
        setattr(booking, key, value.strip() if isinstance(value, str) else value)
    _validate_booking_times(booking.starts_at, booking.ends_at)
    if {"starts_at", "reminder_minutes_before"} & set(changed):
        booking.reminder_sent_at = None  # a moved booking gets its reminder again
        booking.reminder_error = ""
        booking.remind_at = _remind_at(booking)
    _save_booking(
        booking,
        update_fields=[*changed, "remind_at", "reminder_sent_at", "reminder_error", "updated_at"],
    )
    _emit(tenant=booking.tenant, event_type="booking.updated", obj=booking)
    return booking


@transaction.atomic
def booking_transition(*, booking: Booking, to_status: str, actor: Actor | None = None):
    actor = actor or Actor.system()
    if to_status not in BookingStatus.values:
        raise ValidationError({"status": _("Unknown status %(status)s.") % {"status": to_status}})
    booking = Booking.objects.select_for_update().select_related("tenant").get(pk=booking.pk)
    if to_status not in BOOKING_TRANSITIONS[booking.status]:
        raise TransitionNotAllowed(
            _("A booking cannot go from %(from)s to %(to)s.")
            % {
                "from": booking.get_status_display().lower(),
                "to": BookingStatus(to_status).label.lower(),
            },
            {"from": booking.status, "to": to_status, "allowed": booking.allowed_transitions},
        )
    old = booking.status
    booking.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status in BOOKING_INACTIVE or to_status == BookingStatus.COMPLETED:
        booking.remind_at = None
        update_fields.append("remind_at")
    _save_booking(booking, update_fields=update_fields)
    _booking_event(booking, actor, "status", old, to_status)
    audit_log_record(
        tenant=booking.tenant,
        actor=actor.user,
        action="booking.status_changed",
        target=booking,
        details={"from": old, "to": to_status, "by": actor.display},
    )
    _emit(tenant=booking.tenant, event_type="booking.updated", obj=booking)
    return booking


def booking_send_summary(*, booking: Booking, actor: Actor | None = None):
    actor = actor or Actor.system()
    conversation = notify.conversation_for(
        tenant=booking.tenant, contact=booking.contact, conversation=booking.conversation
    )
    if conversation is None:
        raise notify.SendFailed(_("This contact has no conversation to send the summary to."))
    message = notify.send_to_customer(
        conversation=conversation,
        text=notify.booking_summary_text(booking),
        author_user=actor.user,
        author_kind="agent" if actor.user is not None else "bot",
    )
    _booking_event(booking, actor, "summary_sent", None, f"conversation {conversation.pk}")
    return message


REMINDER_RULE_NAME = "Booking reminder"


def booking_reminders_due(*, now: datetime | None = None):
    now = now or timezone.now()
    return Booking.objects.filter(
        remind_at__lte=now,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
    ).values_list("pk", flat=True)


def booking_reminder_send(*, booking_id: int, now: datetime | None = None) -> bool:
    """Send one booking's reminder, at most once: the conditional UPDATE is the claim, so two
    workers (or a rerun of the sweep) never both send it. True if this call sent it."""
    now = now or timezone.now()
    claimed = Booking.objects.filter(
        Q(pk=booking_id, reminder_sent_at__isnull=True, remind_at__lte=now, starts_at__gt=now),
        status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
    ).update(reminder_sent_at=now)
    if claimed != 1:
        return False
    booking = Booking.objects.select_related("tenant", "contact", "conversation").get(pk=booking_id)
    conversation = notify.conversation_for(
        tenant=booking.tenant, contact=booking.contact, conversation=booking.conversation
    )
    error = ""
    if conversation is None:
        error = _("No conversation to send the reminder to.")
    else:
        try:
            notify.send_to_customer(
                conversation=conversation,
                text=notify.booking_summary_text(booking, reminder=True),
                author_kind="bot",
                rule_name=REMINDER_RULE_NAME,
            )
        except notify.SendFailed as exc:
            error = exc.reason
        except Exception:
            log.exception("booking reminder failed", extra={"booking_id": booking_id})
            error = _("The reminder could not be sent.")
    if error:
        # Not retried: a reminder that cannot go out now is shown on the booking instead.
        Booking.objects.filter(pk=booking_id).update(reminder_error=error[:500])
        log.info("booking reminder not sent", extra={"booking_id": booking_id})
        return False
    _booking_event(booking, Actor.system(), "reminder_sent", None, now.isoformat())
    return True
