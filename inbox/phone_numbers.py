"""Phone numbers as WhatsApp sends them and as people type them (pure Python).

A contact's phone is kept as it was written ("+84 91 234 5678", "0912-345-678"); a WhatsApp
contact's is its WhatsApp id in E.164 form ("+84912345678"). Search compares digits only:
``search_digits`` turns what was typed into the number's international digits and, with the
business's country, its national form (trunk prefix and national number); a stored number is
matched when its digits end with either (every way of writing a number ends with the same
digits), so "+84 91 234 5678", "0912345678" and "84912345678" find a contact whether its
phone was stored in the one form or the other.
"""

from __future__ import annotations

from tenants.countries import COUNTRIES

MIN_DIGITS = 5
E164_MAX_DIGITS = 15
# After a country code typed without "+", at least this many digits must remain; a shorter
# number starting with the code's digits is read as a national number.
MIN_NATIONAL_DIGITS = 8
_TYPED = frozenset("+0123456789 -()./\u00a0")


def whatsapp_phone(wa_id: str) -> str:
    """The E.164 phone of a WhatsApp id (WhatsApp ids are the number's digits), or ''."""
    digits = (wa_id or "").strip()
    if digits.isascii() and digits.isdigit() and 7 <= len(digits) <= E164_MAX_DIGITS:
        return "+" + digits
    return ""


def search_digits(query: str, country: str = "") -> tuple[str, ...]:
    """The digit strings to look for in stored numbers (any of them), or () when the query is
    not a phone number.

    ``country`` (ISO 3166 alpha-2, the business's) says how a number typed without "+" is
    read, and which national form an international number has: in Vietnam "+84 91 234 5678",
    "0912345678" and "84912345678" all give ("84912345678", "0912345678"); digits that are
    neither national nor international ("912 345 678", "2345678") are looked for as typed
    (as the end of a number)."""
    text = (query or "").strip()
    if not text or not set(text) <= _TYPED:
        return ()
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < MIN_DIGITS:
        return ()
    local = COUNTRIES.get(country)
    code = local.calling_code if local else ""
    trunk = local.trunk_prefix if local else ""
    if text.startswith("+") or digits.startswith("00"):  # "00": the usual international prefix
        international = digits if text.startswith("+") else digits[2:]
        if code and international.startswith(code):
            return _forms(international, trunk + international[len(code) :])
        return (international,)
    if trunk and digits.startswith(trunk) and code:
        return _forms(code + digits[len(trunk) :], digits)
    if code and digits.startswith(code) and len(digits) - len(code) >= MIN_NATIONAL_DIGITS:
        return _forms(digits, trunk + digits[len(code) :])
    return (digits,)


def _forms(international: str, national: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f for f in (international, national) if len(f) >= MIN_DIGITS))
