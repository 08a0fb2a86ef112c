from django import template

from inbox.commerce.money import format_amount

register = template.Library()


@register.simple_tag
def money(amount, currency):
    """{% money order.total order.currency %} → '1,234.50 THB' (rounded per currency)."""
    return format_amount(amount, currency)
