"""Suggestions for an order form: phone numbers and addresses found in customer messages.

Heuristic on purpose — the agent picks from the suggestions; nothing is filled in silently.
Phone formats (national and international, any separators, Thai/other Unicode digits):

- Thailand (+66): mobile 06/08/09 + 8 digits, landline 02–07 + 7 digits
- Vietnam (+84): mobile 03/05/07/08/09 + 8 digits, landline 02 + 9 digits
- Indonesia (+62): mobile 08 + 8–11 digits, landline 0[2-7] + 7–10 digits

A national number that fits several countries (08x xxx xxxx is valid in all three) is
resolved with the tenant's region when given, otherwise the first match in TH, VN, ID order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

COUNTRY_CODES = {"TH": "66", "VN": "84", "ID": "62"}

# National significant number (after the trunk 0 or the country code) per country.
NSN_PATTERNS = {
    "TH": re.compile(r"^(?:[689]\d{8}|[2-7]\d{7})$"),
    "VN": re.compile(r"^(?:[35789]\d{8}|2\d{9})$"),
    "ID": re.compile(r"^(?:8\d{8,11}|[2-7]\d{7,10})$"),
}

TIMEZONE_REGIONS = {
    "Asia/Bangkok": "TH",
    "Asia/Ho_Chi_Minh": "VN",
    "Asia/Saigon": "VN",
    "Asia/Jakarta": "ID",
    "Asia/Pontianak": "ID",
    "Asia/Makassar": "ID",
    "Asia/Jayapura": "ID",
}

_CANDIDATE = re.compile(r"(?<![\w+])(\+?\(?\d[\d\s().\-]{6,20}\d)(?!\w)")


@dataclass(frozen=True)
class PhoneSuggestion:
    raw: str  # as written
    e164: str  # +66812345678
    country: str  # TH | VN | ID


def region_for_timezone(tz_name: str | None) -> str | None:
    return TIMEZONE_REGIONS.get(tz_name or "")


def _ascii_digits(text: str) -> str:
    """Thai (๐–๙), Arabic-Indic, full-width… digits → 0–9."""
    out = []
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            try:
                out.append(str(unicodedata.digit(ch)))
                continue
            except (TypeError, ValueError):
                pass
        out.append(ch)
    return "".join(out)


def normalize_phone(raw: str, region: str | None = None) -> PhoneSuggestion | None:
    text = _ascii_digits(raw).strip()
    international = text.startswith("+") or text.startswith("00")
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        digits = digits[2:]
    if international or not digits.startswith("0"):
        for country, code in COUNTRY_CODES.items():
            if digits.startswith(code):
                nsn = digits[len(code) :]
                if nsn.startswith("0"):  # "+66 (0)81…" is a common way of writing it
                    nsn = nsn[1:]
                if NSN_PATTERNS[country].match(nsn):
                    return PhoneSuggestion(raw=raw.strip(), e164=f"+{code}{nsn}", country=country)
        return None
    nsn = digits[1:]
    order = ["TH", "VN", "ID"]
    if region in order:
        order.remove(region)
        order.insert(0, region)
    for country in order:
        if NSN_PATTERNS[country].match(nsn):
            return PhoneSuggestion(
                raw=raw.strip(), e164=f"+{COUNTRY_CODES[country]}{nsn}", country=country
            )
    return None


def extract_phones(text: str, region: str | None = None) -> list[PhoneSuggestion]:
    found: dict[str, PhoneSuggestion] = {}
    for match in _CANDIDATE.finditer(_ascii_digits(text or "")):
        candidate = match.group(1)
        if re.search(r"\d[.]\d{3}[.]\d{3}$", candidate) and not candidate.startswith(("0", "+")):
            continue  # 1.250.000 is a price
        suggestion = normalize_phone(candidate, region)
        if suggestion is not None and suggestion.e164 not in found:
            found[suggestion.e164] = suggestion
    return list(found.values())


# Words that mark a line as an address, by language. Matched case-insensitively as words
# (Thai has no spaces, so Thai words are matched as substrings).
_ADDRESS_WORDS = [
    # Thai
    "ถนน",
    "ถ.",
    "ซอย",
    "ซ.",
    "แขวง",
    "เขต",
    "ตำบล",
    "ต.",
    "อำเภอ",
    "อ.",
    "จังหวัด",
    "จ.",
    "หมู่",
    "บ้านเลขที่",
    "กรุงเทพ",
    # Vietnamese
    "đường",
    "phường",
    "quận",
    "huyện",
    "tỉnh",
    "thành phố",
    "tp.",
    "tp ",
    "số nhà",
    "ngõ",
    "hẻm",
    "xã",
    "thị trấn",
    # Indonesian
    "jl.",
    "jln",
    "jalan",
    "gang",
    "gg.",
    "rt",
    "rw",
    "kel.",
    "kelurahan",
    "kec.",
    "kecamatan",
    "kab.",
    "kabupaten",
    "kota",
    "provinsi",
    "blok",
    # English
    "street",
    "st.",
    "road",
    "rd.",
    "avenue",
    "ave",
    "soi",
    "moo",
    "district",
    "province",
    "building",
    "floor",
    "apartment",
    "condo",
]
_ADDRESS_LABEL = (
    r"^(address|ที่อยู่|địa chỉ|dia chi|alamat|ship to|send to|deliver to|giao đến|gửi đến"
    r"|kirim ke|ส่งที่)\s*[:：-]?\s*"
)
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_POSTCODE = re.compile(r"(?<!\d)\d{5,6}(?!\d)")


def _address_score(line: str) -> int:
    lowered = line.lower()
    score = 0
    for word in _ADDRESS_WORDS:
        if _THAI.search(word):
            if word in lowered:
                score += 1
        elif re.search(r"(?<!\w)" + re.escape(word.strip()) + r"(?!\w)", lowered) or (
            word.endswith(".") and (" " + word) in (" " + lowered)
        ):
            score += 1
    if _POSTCODE.search(line):
        score += 1
    if re.search(r"\d", line):
        score += 1
    return score


def extract_addresses(text: str) -> list[str]:
    """Lines (or comma-joined sentences) that look like a postal address."""
    results: list[str] = []
    for raw_line in re.split(r"[\r\n]+", text or ""):
        line = raw_line.strip(" \t-•:")
        if len(line) < 12:
            continue
        if _address_score(line) >= 3:
            # Drop a leading label such as "Address:" / "ที่อยู่" / "Địa chỉ:" / "Alamat:".
            line = re.sub(
                _ADDRESS_LABEL,
                "",
                line,
                flags=re.IGNORECASE,
            )
            for phone in extract_phones(line):
                line = line.replace(phone.raw, "").strip(" ,;")
            line = re.sub(
                r"[,;\s]*(tel|phone|mobile|โทร|เบอร์|sdt|sđt|đt|hp|wa)\.?\s*[:：]?$",
                "",
                line,
                flags=re.IGNORECASE,
            ).strip(" ,;")
            line = line[:300]
            if line and line not in results:
                results.append(line)
    return results


def suggestions_from_messages(texts: list[str], region: str | None = None) -> dict:
    """Phones and addresses from message texts, newest message first, no duplicates."""
    phones: dict[str, PhoneSuggestion] = {}
    addresses: list[str] = []
    for text in texts:
        for phone in extract_phones(text, region):
            phones.setdefault(phone.e164, phone)
        for address in extract_addresses(text):
            if address not in addresses:
                addresses.append(address)
    return {"phones": list(phones.values())[:5], "addresses": addresses[:5]}
