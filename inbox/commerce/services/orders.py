"""Writes of orders: create, update, status transitions, the summary sent to the customer.
Every change leaves a history row and a CRM event (`order.created|updated`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from inbox.commerce import notify
from inbox.commerce.models import (
    ORDER_TRANSITIONS,
    LineKind,
    Order,
    OrderCounter,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from inbox.commerce.money import LineInput, compute_totals, format_amount, quantize
from inbox.commerce.services.common import (
    Actor,
    OrderLocked,
    TransitionNotAllowed,
    check_contact_conversation,
    emit_webhook_event,
)
from inbox.models import Contact, Conversation
from tenants.services import audit_log_record


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
    check_contact_conversation(tenant=tenant, contact=contact, conversation=conversation)
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
    emit_webhook_event(tenant=tenant, event_type="order.created", obj=order)
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
        old_total = format_amount(order.total, order.currency, localized=False)
        _write_lines(order, lines)
        new_total = format_amount(order.total, order.currency, localized=False)
        _order_event(order, actor, "lines", old_total, new_total)
        update_fields += ["subtotal", "discount_total", "shipping_total", "tax_total", "total"]
    if update_fields:
        order.save(update_fields=[*update_fields, "updated_at"])
        emit_webhook_event(tenant=order.tenant, event_type="order.updated", obj=order)
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
    emit_webhook_event(tenant=order.tenant, event_type="order.updated", obj=order)
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
        purpose="order_summary",
        context=notify.order_context(order),
    )
    _order_event(order, actor, "summary_sent", None, f"conversation {conversation.pk}")
    return message
