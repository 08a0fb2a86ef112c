"""Phone numbers as typed: what search looks for, and a WhatsApp id's E.164 form."""

import pytest

from inbox.phone_numbers import search_digits, whatsapp_phone

VN = ("84912345678", "0912345678")


@pytest.mark.parametrize(
    "typed,country,expected",
    [
        ("+84 91 234 5678", "VN", VN),
        ("0912345678", "VN", VN),
        ("091-234-5678", "VN", VN),
        ("(091) 234.5678", "VN", VN),
        ("84912345678", "VN", VN),
        ("0084 912 345 678", "VN", VN),
        ("+84 91 234 5678", "", ("84912345678",)),
        ("0912345678", "", ("0912345678",)),
        ("+84 91 234 5678", "TH", ("84912345678",)),
        ("081 234 5678", "TH", ("66812345678", "0812345678")),
        ("0812 3456 789", "ID", ("628123456789", "08123456789")),
        ("012-345 6789", "MY", ("60123456789", "0123456789")),
        ("090-1234-5678", "JP", ("819012345678", "09012345678")),
        ("+420 601 234 567", "CZ", ("420601234567", "601234567")),
        ("601 234 567", "CZ", ("601234567",)),
        ("841234567", "VN", ("841234567",)),  # too short to start with the country code
        ("2345678", "VN", ("2345678",)),
    ],
)
def test_what_search_looks_for_in_stored_numbers(typed, country, expected):
    assert search_digits(typed, country) == expected


@pytest.mark.parametrize(
    "typed", ["", "ao dai", "1234", "+84 abc", "order 12345", "０９１２３４５６７８"]
)
def test_text_that_is_not_a_phone_number_is_not_looked_up_as_one(typed):
    assert search_digits(typed, "VN") == ()


def test_a_whatsapp_id_is_its_e164_number():
    assert whatsapp_phone("84912345678") == "+84912345678"
    assert whatsapp_phone(" 66812345678 ") == "+66812345678"
    assert whatsapp_phone("") == ""
    assert whatsapp_phone("unknown-wamid.1") == ""
    assert whatsapp_phone("1234567890123456") == ""  # longer than E.164 allows
