from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inbox.commerce.models import OrderStatus, PaymentStatus
from inbox.commerce.money import format_amount

register = template.Library()


@register.simple_tag
def money(amount, currency):
    """{% money order.total order.currency %} → '1,234.50 THB' (rounded per currency)."""
    return format_amount(amount, currency)


# The order history stores field names and raw values; a person reads them in their language.
HISTORY_FIELDS = {
    "status": _("Status"),
    "payment_status": _("Payment"),
    "lines": _("Total"),
    "currency": _("Currency"),
    "shipping_address": _("Shipping address"),
    "phone": _("Phone"),
    "notes": _("Notes"),
    "summary_sent": _("Summary sent to the customer."),
}
HISTORY_CHOICES = {"status": OrderStatus, "payment_status": PaymentStatus}


@register.filter
def history_field(field: str) -> str:
    return HISTORY_FIELDS.get(field, field)


@register.filter
def history_value(value: str, field: str) -> str:
    choices = HISTORY_CHOICES.get(field)
    if choices is not None and value in choices.values:
        return choices(value).label
    return value


@register.filter
def history_note(note: str) -> str:
    """Notes written by Parley itself were stored in English; show them in today's language."""
    return gettext(note) if note else note
