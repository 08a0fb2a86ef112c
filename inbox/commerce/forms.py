"""HTML forms of the contact panel and the order page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from inbox.commerce.models import LineKind, PaymentStatus
from inbox.commerce.money import LineInput

DATETIME_LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
REMINDER_CHOICES = [
    ("", _l("No reminder")),
    ("60", _l("1 hour before")),
    ("180", _l("3 hours before")),
    ("1440", _l("1 day before")),
]


class OrderHeaderForm(forms.Form):
    currency = forms.CharField(label=_l("Currency"), max_length=3, initial="THB")
    phone = forms.CharField(label=_l("Phone"), max_length=40, required=False)
    shipping_address = forms.CharField(
        label=_l("Shipping address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(
        label=_l("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    payment_status = forms.ChoiceField(
        label=_l("Payment"), choices=PaymentStatus.choices, initial=PaymentStatus.UNPAID
    )

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a three-letter currency code, e.g. THB."))
        return value


class OrderAdjustmentsForm(forms.Form):
    """Discount, shipping and tax entered as single fields; stored as lines."""

    discount = forms.DecimalField(label=_l("Discount"), required=False, min_value=0)
    discount_percent = forms.DecimalField(
        label=_l("Discount %"), required=False, min_value=0, max_value=100
    )
    shipping = forms.DecimalField(label=_l("Shipping"), required=False, min_value=0)
    tax_percent = forms.DecimalField(label=_l("Tax %"), required=False, min_value=0, max_value=100)

    def lines(self) -> list[LineInput]:
        data = self.cleaned_data
        out = []
        if data.get("discount_percent"):
            out.append(
                LineInput(
                    kind=LineKind.DISCOUNT,
                    name=_("Discount %(rate)s%%") % {"rate": data["discount_percent"].normalize()},
                    rate=data["discount_percent"],
                )
            )
        if data.get("discount"):
            out.append(
                LineInput(kind=LineKind.DISCOUNT, name=_("Discount"), unit_price=data["discount"])
            )
        if data.get("shipping"):
            out.append(
                LineInput(kind=LineKind.SHIPPING, name=_("Shipping"), unit_price=data["shipping"])
            )
        if data.get("tax_percent"):
            out.append(
                LineInput(
                    kind=LineKind.TAX,
                    name=_("Tax %(rate)s%%") % {"rate": data["tax_percent"].normalize()},
                    rate=data["tax_percent"],
                )
            )
        return out

    @classmethod
    def initial_from(cls, order) -> dict:
        initial = {}
        for line in order.lines.all():
            if line.kind == LineKind.DISCOUNT and line.rate is not None:
                initial["discount_percent"] = line.rate.normalize()
            elif line.kind == LineKind.DISCOUNT:
                initial["discount"] = line.unit_price.normalize()
            elif line.kind == LineKind.SHIPPING:
                initial["shipping"] = line.unit_price.normalize()
            elif line.kind == LineKind.TAX and line.rate is not None:
                initial["tax_percent"] = line.rate.normalize()
        return initial


def parse_item_rows(post) -> tuple[list[LineInput], list[str]]:
    """Item rows posted as parallel lists item_name / item_sku / item_qty / item_price.
    Empty rows are skipped. Returns (items, errors)."""
    names = post.getlist("item_name")
    skus = post.getlist("item_sku")
    qtys = post.getlist("item_qty")
    prices = post.getlist("item_price")
    items, errors = [], []
    for i, name in enumerate(names):
        sku = skus[i] if i < len(skus) else ""
        qty = qtys[i] if i < len(qtys) else "1"
        price = prices[i] if i < len(prices) else ""
        if not name.strip() and not price.strip() and not sku.strip():
            continue
        row = i + 1
        if not name.strip():
            errors.append(_("Row %(row)s: the item needs a name.") % {"row": row})
            continue
        try:
            quantity = int(qty or "1")
            if quantity < 1:
                raise ValueError
        except ValueError:
            errors.append(_("Row %(row)s: the quantity must be a whole number ≥ 1.") % {"row": row})
            continue
        try:
            unit_price = Decimal((price or "0").replace(",", ""))
            if unit_price < 0 or not unit_price.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_("Row %(row)s: the price is not a valid amount.") % {"row": row})
            continue
        items.append(
            LineInput(
                kind=LineKind.ITEM,
                name=name.strip()[:200],
                sku=sku.strip()[:64],
                quantity=quantity,
                unit_price=unit_price,
            )
        )
    if not items and not errors:
        errors.append(_("Add at least one item."))
    return items, errors


class BookingForm(forms.Form):
    service = forms.CharField(label=_l("Service"), max_length=200)
    resource = forms.CharField(
        label=_l("Staff or resource"),
        max_length=120,
        widget=forms.TextInput(attrs={"list": "commerce-resources"}),
    )
    starts_at = forms.DateTimeField(
        label=_l("Starts"),
        input_formats=DATETIME_LOCAL,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL[0]),
    )
    ends_at = forms.DateTimeField(
        label=_l("Ends"),
        input_formats=DATETIME_LOCAL,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL[0]),
    )
    reminder = forms.ChoiceField(label=_l("Reminder"), choices=REMINDER_CHOICES, required=False)
    notes = forms.CharField(
        label=_l("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must be after the start."))
        return data

    @property
    def reminder_minutes(self) -> int | None:
        value = self.cleaned_data.get("reminder")
        return int(value) if value else None
