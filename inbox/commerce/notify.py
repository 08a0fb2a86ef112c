"""Messages to the customer: order/booking summaries and booking reminders.

Sending goes through the inbox's `message_send` service (reply windows, queueing, retries
live there); this module only writes the text and picks the conversation.
"""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from inbox.commerce.money import format_amount
from inbox.models import Conversation
from inbox.services.sending import MessageRejected, message_send


class SendFailed(Exception):
    """The message could not be queued; `reason` is meant for the agent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def send_to_customer(
    *, conversation: Conversation, text: str, author_user=None, author_kind="agent", rule_name=""
):
    """Queue `text` in the conversation; SendFailed with the provider's reason if refused."""
    kwargs = {"rule_name": rule_name} if rule_name else {}
    try:
        return message_send(
            conversation=conversation,
            text=text,
            author_user=author_user,
            author_kind=author_kind,
            **kwargs,
        )
    except MessageRejected as exc:
        raise SendFailed(exc.reason) from exc


def conversation_for(*, tenant, contact, conversation: Conversation | None) -> Conversation | None:
    """The given conversation, else the contact's most recent one."""
    if conversation is not None:
        return conversation
    return (
        Conversation.objects.for_tenant(tenant)
        .filter(contact=contact)
        .select_related("channel", "contact")
        .order_by("-last_message_at", "-id")
        .first()
    )


def tenant_zone(tenant):
    try:
        return zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local(dt, tenant):
    return timezone.localtime(dt, tenant_zone(tenant))


def order_summary_text(order) -> str:
    with translation.override(order.tenant.default_language or "en"):
        parts = [_("Order #%(number)s") % {"number": order.number}]
        for line in order.lines.all():
            if line.kind == "item":
                parts.append(
                    f"- {line.name} × {line.quantity}: {format_amount(line.amount, order.currency)}"
                )
        if order.discount_total:
            parts.append(
                _("Discount: -%(amount)s")
                % {"amount": format_amount(order.discount_total, order.currency)}
            )
        if order.shipping_total:
            parts.append(
                _("Shipping: %(amount)s")
                % {"amount": format_amount(order.shipping_total, order.currency)}
            )
        if order.tax_total:
            parts.append(
                _("Tax: %(amount)s") % {"amount": format_amount(order.tax_total, order.currency)}
            )
        parts.append(
            _("Total: %(amount)s") % {"amount": format_amount(order.total, order.currency)}
        )
        parts.append(_("Status: %(status)s") % {"status": order.get_status_display()})
        if order.shipping_address:
            parts.append(_("Ship to: %(address)s") % {"address": order.shipping_address})
        return "\n".join(parts)


def booking_summary_text(booking, *, reminder: bool = False) -> str:
    with translation.override(booking.tenant.default_language or "en"):
        start = local(booking.starts_at, booking.tenant)
        end = local(booking.ends_at, booking.tenant)
        values = {
            "service": booking.service,
            "resource": booking.resource,
            "date": date_format(start, "SHORT_DATE_FORMAT"),
            "start": time_format(start, "TIME_FORMAT"),
            "end": time_format(end, "TIME_FORMAT"),
            "tz": booking.tenant.timezone,
        }
        if reminder:
            text = _("Reminder: %(service)s with %(resource)s on %(date)s, %(start)s–%(end)s")
            return text % values + f" ({values['tz']})."
        text = _("Booking: %(service)s with %(resource)s on %(date)s, %(start)s–%(end)s (%(tz)s).")
        return (
            (text % values)
            + "\n"
            + _("Status: %(status)s") % {"status": booking.get_status_display()}
        )
