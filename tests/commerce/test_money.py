from decimal import Decimal

import pytest

from inbox.commerce.money import LineInput, compute_totals, format_amount, minor_units, quantize

D = Decimal


def item(price, qty=1, name="x"):
    return LineInput(kind="item", name=name, quantity=qty, unit_price=D(price))


def test_totals_are_exact_decimals_not_floats():
    totals = compute_totals([item("0.10", 3), item("0.20")], "USD")
    assert totals.subtotal == D("0.50")
    assert totals.total == D("0.50")
    assert isinstance(totals.total, Decimal)


def test_each_line_is_rounded_half_up_to_the_currency_minor_unit():
    # 7 % of 0.50 = 0.035 → 0.04 (half up), not 0.03 (banker's) nor 0.034999… (float)
    totals = compute_totals([item("0.50"), LineInput(kind="tax", rate=D("7"))], "THB")
    assert totals.tax_total == D("0.04")
    # a unit price is rounded first, so the line is exactly quantity × the price shown
    assert compute_totals([item("0.335", 3)], "THB").subtotal == D("1.02")
    assert quantize(D("2.675"), "USD") == D("2.68")
    assert quantize(D("-2.675"), "USD") == D("-2.68")


@pytest.mark.parametrize("currency", ["VND", "JPY", "KRW"])
def test_zero_decimal_currencies_round_to_whole_units(currency):
    assert minor_units(currency) == 0
    totals = compute_totals(
        [item("149999.5"), LineInput(kind="tax", rate=D("10"))],  # price → 150000
        currency,
    )
    assert totals.subtotal == D("150000")
    assert totals.tax_total == D("15000")
    assert totals.total == D("165000")
    assert str(totals.total) == "165000"


def test_three_decimal_currencies_keep_three_places():
    assert quantize(D("1.2345"), "KWD") == D("1.235")
    assert format_amount(D("1.2"), "KWD") == "1.200 KWD"


def test_percent_discount_then_shipping_then_tax_on_the_discounted_amount():
    lines = [
        item("390", 2),
        item("49.50"),
        LineInput(kind="discount", rate=D("10")),
        LineInput(kind="shipping", unit_price=D("45")),
        LineInput(kind="tax", rate=D("7")),
    ]
    totals = compute_totals(lines, "THB")
    assert totals.subtotal == D("829.50")
    assert totals.discount_total == D("82.95")
    assert totals.shipping_total == D("45.00")
    # taxable = 829.50 - 82.95 + 45 = 791.55; 7 % = 55.4085 → 55.41
    assert totals.tax_total == D("55.41")
    assert totals.total == D("846.96")
    assert totals.line_amounts == (
        D("780.00"),
        D("49.50"),
        D("-82.95"),
        D("45.00"),
        D("55.41"),
    )
    assert sum(totals.line_amounts) == totals.total


def test_a_fixed_discount_never_makes_the_total_negative():
    totals = compute_totals([item("100"), LineInput(kind="discount", unit_price=D("150"))], "THB")
    assert totals.discount_total == D("100.00")
    assert totals.total == D("0.00")


def test_fixed_tax_and_discount_amounts():
    totals = compute_totals(
        [
            item("1000"),
            LineInput(kind="discount", unit_price=D("100")),
            LineInput(kind="tax", unit_price=D("63")),
        ],
        "IDR",
    )
    assert totals.total == D("963.00")


def test_amounts_are_formatted_with_the_currency_minor_units():
    assert format_amount(D("1234.5"), "THB") == "1,234.50 THB"
    assert format_amount(D("150000"), "VND") == "150,000 VND"
    assert format_amount(D("1234.5"), "JPY") == "1,235 JPY"


@pytest.mark.parametrize(
    ("language", "thb", "vnd", "jpy", "czk"),
    [
        ("en", "1,234.50 THB", "150,000 VND", "1,235 JPY", "99.00 CZK"),
        ("vi", "1.234,50 THB", "150.000 VND", "1.235 JPY", "99,00 CZK"),
        ("th", "1,234.50 THB", "150,000 VND", "1,235 JPY", "99.00 CZK"),
        ("id", "1.234,50 THB", "150.000 VND", "1.235 JPY", "99,00 CZK"),
        ("cs", "1\xa0234,50 THB", "150\xa0000 VND", "1\xa0235 JPY", "99,00 CZK"),
        ("ja", "1,234.50 THB", "150,000 VND", "1,235 JPY", "99.00 CZK"),
    ],
)
def test_amounts_follow_the_languages_grouping_and_keep_the_currencys_minor_units(
    language, thb, vnd, jpy, czk
):
    from django.utils import translation

    with translation.override(language):
        assert format_amount(D("1234.5"), "THB") == thb
        assert format_amount(D("150000"), "VND") == vnd
        assert format_amount(D("1234.5"), "JPY") == jpy
        assert format_amount(D("99"), "CZK") == czk
        assert format_amount(D("1234.5"), "THB", localized=False) == "1,234.50 THB"
