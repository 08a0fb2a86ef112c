"""Money arithmetic for orders: Decimal only, rounded per currency's minor units.

Rounding rule: amounts are rounded to the currency's minor unit with ROUND_HALF_UP
(0.005 → 0.01; VND 1,234.5 → 1,235). A unit price is rounded when entered, so an item line is
exactly quantity × unit price; a percentage line (discount, tax) is rounded on its own; totals
are sums of rounded line amounts, so the lines a customer sees always add up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

# ISO 4217 minor units of the currencies our sellers use; anything else has 2.
MINOR_UNITS: dict[str, int] = {
    "VND": 0,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "XOF": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}

COMMON_CURRENCIES = ["THB", "VND", "IDR", "MYR", "PHP", "SGD", "USD", "EUR", "JPY"]

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get((currency or "").upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up (away from zero on a tie)."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal | None, currency: str, *, localized: bool = True) -> str:
    """The amount with exactly the currency's minor units, grouped as the active language
    writes numbers: 1234.5 THB → '1,234.50 THB' (English, Thai, Japanese), '1.234,50 THB'
    (Vietnamese, Indonesian), '1 234,50 THB' (Czech); 150000 VND → '150,000 VND' /
    '150.000 VND'. ``localized=False`` gives the English form, for text stored and shown later."""
    if amount is None:
        return ""
    places = minor_units(currency)
    value = quantize(amount, currency)
    if not localized:
        return f"{value:,.{places}f} {currency.upper()}"
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text} {currency.upper()}"


@dataclass(frozen=True)
class LineInput:
    """One line as entered: an item, or a discount/shipping/tax line."""

    kind: str  # item | discount | shipping | tax
    name: str = ""
    sku: str = ""
    quantity: int = 1
    unit_price: Decimal = ZERO  # item: price of one; discount/shipping/tax: a fixed amount
    rate: Decimal | None = None  # discount/tax: a percentage instead of a fixed amount


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal  # a positive number, subtracted
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    line_amounts: tuple[Decimal, ...]  # per input line, signed (discounts negative)


def compute_totals(lines: list[LineInput], currency: str) -> Totals:
    """Items first (quantity × unit price rounded to the minor unit), then discounts
    (percent of the item subtotal, or fixed), shipping, then tax (percent of items − discounts
    + shipping, or fixed). Each line rounded on its own."""
    amounts: list[Decimal | None] = [None] * len(lines)
    subtotal = ZERO
    for i, line in enumerate(lines):
        if line.kind == "item":
            unit_price = quantize(Decimal(line.unit_price), currency)
            amounts[i] = Decimal(line.quantity) * unit_price
            subtotal += amounts[i]
    discount_total = ZERO
    for i, line in enumerate(lines):
        if line.kind == "discount":
            if line.rate is not None:
                value = quantize(subtotal * Decimal(line.rate) / HUNDRED, currency)
            else:
                value = quantize(abs(Decimal(line.unit_price)), currency)
            value = min(value, subtotal - discount_total)  # never below zero
            amounts[i] = -value
            discount_total += value
    shipping_total = ZERO
    for i, line in enumerate(lines):
        if line.kind == "shipping":
            amounts[i] = quantize(Decimal(line.unit_price), currency)
            shipping_total += amounts[i]
    taxable = subtotal - discount_total + shipping_total
    tax_total = ZERO
    for i, line in enumerate(lines):
        if line.kind == "tax":
            if line.rate is not None:
                amounts[i] = quantize(taxable * Decimal(line.rate) / HUNDRED, currency)
            else:
                amounts[i] = quantize(Decimal(line.unit_price), currency)
            tax_total += amounts[i]
    total = subtotal - discount_total + shipping_total + tax_total
    return Totals(
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_total=shipping_total,
        tax_total=tax_total,
        total=total,
        line_amounts=tuple(a if a is not None else ZERO for a in amounts),
    )
