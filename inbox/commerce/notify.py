"""Messages to the customer: order/booking summaries and booking reminders.

Sending goes through the inbox's `message_send` service (reply windows, queueing, retries
live there); this module only writes the text and picks the conversation. When the reply
window is closed and the channel has an approved template chosen for the purpose (order
summaries, booking summaries and reminders), that template goes instead (`template_send`),
its variables filled from the order or booking.
"""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from inbox.commerce.money import format_amount
from inbox.models import Conversation
from inbox.selectors.templates import purpose_template
from inbox.services.sending import MessageRejected, ReplyWindowClosed, message_send
from inbox.services.templates import TemplateError, template_send


class SendFailed(Exception):
    """The message could not be queued; `reason` is meant for the agent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def send_to_customer(
    *,
    conversation: Conversation,
    text: str,
    author_user=None,
    author_kind="agent",
    rule_name="",
    purpose: str = "",
    context: dict | None = None,
):
    """Queue `text` in the conversation, or the channel's template for ``purpose`` when the
    reply window is closed; SendFailed with the reason if refused."""
    kwargs = {"rule_name": rule_name} if rule_name else {}
    try:
        return message_send(
            conversation=conversation,
            text=text,
            author_user=author_user,
            author_kind=author_kind,
            **kwargs,
        )
    except ReplyWindowClosed as exc:
        template = (
            purpose_template(channel=conversation.channel, purpose=purpose) if purpose else None
        )
        if template is None:
            raise SendFailed(exc.reason) from exc
        try:
            return template_send(
                conversation=conversation,
                template=template,
                author_user=author_user,
                author_kind=author_kind,
                context=context,
                **kwargs,
            )
        except TemplateError as template_exc:
            raise SendFailed(template_exc.reason) from template_exc
    except MessageRejected as exc:
        raise SendFailed(exc.reason) from exc


def order_context(order) -> dict[str, str]:
    """An order's values for a template's variables (``order.*``)."""
    return {
        "order.number": str(order.number),
        "order.total": format_amount(order.total, order.currency),
    }


def booking_context(booking) -> dict[str, str]:
    """A booking's values for a template's variables (``booking.*``), in the business's zone."""
    start = local(booking.starts_at, booking.tenant)
    return {
        "booking.service": booking.service,
        "booking.date": start.strftime("%Y-%m-%d"),
        "booking.time": start.strftime("%H:%M"),
    }


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
