"""The phone-number rule's detector on a corpus of real-looking comments per country, with
phone numbers (plain, separated, international, full-width and Thai digits, spelled out in
words, obfuscated) and look-alikes (prices, order and account numbers, dates, sizes).

Precision and recall per country are stated in docs/automation.md; this test fails if they
fall below what the docs promise."""

import json
from pathlib import Path

import pytest

from inbox.phone_detect import contains_phone, find_phones

FIXTURES = Path(__file__).parent.parent / "fixtures" / "comments"
CORPUS = json.loads((FIXTURES / "phone_corpus.json").read_text())
# Written after the detector was tuned on CORPUS and measured before any change; the two
# misses and the false positive it showed were then fixed (docs/automation.md says so).
HELD_OUT = {
    k: v for k, v in json.loads((FIXTURES / "phone_corpus_heldout.json").read_text()).items()
    if not k.startswith("_")
}  # fmt: skip
# What docs/automation.md states (measured on each corpus, the business's country only).
PROMISED = {
    "VN": (1.0, 0.96),
    "TH": (1.0, 1.0),
    "ID": (1.0, 0.96),
    "CZ": (1.0, 0.92),
    "JP": (1.0, 0.92),
}
PROMISED_HELD_OUT = {country: (1.0, 1.0) for country in HELD_OUT}


def _rule(text: str, country: str) -> bool:
    """What the comment rule reads: the business's country, and every country's forms."""
    return contains_phone(text, [country]) or contains_phone(text)


def measure(country: str, countries=None, corpus=CORPUS, detect=None) -> tuple:
    data = corpus[country]
    detect = detect or (lambda text: contains_phone(text, countries or [country]))
    missed = [t for t in data["phone"] if not detect(t)]
    wrong = [t for t in data["no_phone"] if detect(t)]
    found = len(data["phone"]) - len(missed)
    precision = found / (found + len(wrong)) if found + len(wrong) else 1.0
    return precision, found / len(data["phone"]), missed, wrong


@pytest.mark.parametrize("country", sorted(CORPUS))
def test_precision_and_recall_per_country(country):
    assert len(CORPUS[country]["phone"]) >= 25 and len(CORPUS[country]["no_phone"]) >= 20
    precision, recall, missed, wrong = measure(country)
    want_precision, want_recall = PROMISED[country]
    assert precision >= want_precision - 1e-9, wrong
    assert recall >= want_recall - 1e-9, missed


@pytest.mark.parametrize("country", sorted(HELD_OUT))
def test_precision_and_recall_on_the_held_out_corpus(country):
    assert len(HELD_OUT[country]["phone"]) >= 25 and len(HELD_OUT[country]["no_phone"]) >= 20
    assert not set(HELD_OUT[country]["phone"]) & set(CORPUS[country]["phone"])
    want_precision, want_recall = PROMISED_HELD_OUT[country]
    for detect in (None, lambda text: _rule(text, country)):
        precision, recall, missed, wrong = measure(country, corpus=HELD_OUT, detect=detect)
        assert precision >= want_precision - 1e-9, wrong
        assert recall >= want_recall - 1e-9, missed


def test_every_country_at_once_still_leaves_prices_and_dates_alone():
    for country in CORPUS:
        for text in CORPUS[country]["no_phone"]:
            if any(w in text for w in ("Kč", "บาท", "円", "đ", "Rp", "/20", "2024")):
                assert not contains_phone(text), text


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("không chín một hai ba bốn năm sáu bảy tám", "0912345678"),
        ("ศูนย์แปดหนึ่งสองสามสี่ห้าหกเจ็ดแปด", "0812345678"),
        ("〇九〇ー一二三四ー五六七八", "09012345678"),
        ("０９０－１２３４－５６７８", "09012345678"),
        ("+420 603 123 456", "420603123456"),
        ("0912 345 678 hoặc 0987 654 321", "0912345678"),
    ],
)
def test_the_number_found(text, digits):
    assert find_phones(text)[0] == digits


@pytest.mark.parametrize(
    ("text", "country", "found"),
    [
        # the held-out corpus's misses, fixed after its first measurement
        ("tel.č. 728 123 456", "CZ", True),  # "tel. č." is a phone, "obj. č." an order
        ("Objednávka č. 2024061512", "CZ", False),
        ("Telp kantor (021) 555-1234", "ID", True),  # Indonesian landlines
        ("sy di Surabaya 031 8765 432", "ID", True),
        ("VA BCA 8277 0812 3456 7890", "ID", False),  # a virtual account, not a phone
        ("Rek BRI 0123-01-012345-53-1 a.n toko?", "ID", False),  # the bank between
        ("rek BCA 0812345678", "ID", False),
        ("hubungi Rina 0812 3456 7890", "ID", True),  # any other word between: a phone
        ("STK Vietcombank 0071000123456", "VN", False),
        ("lh chị Lan 0912 345 678", "VN", True),
    ],
)
def test_the_held_out_fixes(text, country, found):
    assert _rule(text, country) is found
