"""Is there a phone number in this comment? (pure Python, no Django)

Used by the comment rule "hide comments that contain a phone number": a buyer who leaves
their number under a post is exposed to every competitor reading it. Numbers are found in the
forms people type in Vietnam, Thailand, Indonesia, Czechia and Japan:

- digits with or without separators (spaces, dots, dashes, slashes, brackets, "ー"), with
  the national trunk prefix ("0912 345 678") or the country code ("+84 912 345 678",
  "0084…", "84912345678");
- full-width digits (Japanese keyboards), Thai digits (๐๘๑…);
- digits written as words, where people do it to slip past filters: Vietnamese ("không chín
  một…", with or without accents), Thai ("ศูนย์แปดหนึ่ง…"), Indonesian ("nol delapan…"),
  Czech ("šest nula dva…") and Japanese kanji numerals ("〇九〇…"); words and digits may mix.

What is not a phone number: prices (a currency before or after: "150.000đ", "฿1,290",
"Rp 150.000", "299 Kč", "¥3,000", "350k"), order and tracking numbers (after "#" or glued to
letters: "DH0912345678"), dates and times, sizes. Each country's mobile (and common landline)
numbering decides the rest: the digits must have the right length after the right prefix.
Precision and recall on a corpus of real-looking comments: ``docs/automation.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

COUNTRY_CODES = {"VN": "84", "TH": "66", "ID": "62", "CZ": "420", "JP": "81"}
# National significant numbers (after the trunk "0" or the country code).
NATIONAL = {
    "VN": re.compile(r"(?:[35789]\d{8}|2\d{9})"),  # mobiles 03/05/07/08/09 + 8; landlines 02x
    "TH": re.compile(r"(?:[689]\d{8}|2\d{7})"),  # mobiles 06/08/09 + 8; Bangkok 02 + 7
    # mobiles 08xx, 10 to 13 digits with the 0; landlines 0 + area code (21 Jakarta, 31
    # Surabaya, 274 Yogyakarta…) + subscriber, 9 to 11 digits with the 0
    "ID": re.compile(r"(?:8\d{8,11}|[2-7]\d{7,9})"),
    "CZ": re.compile(r"(?:[67]\d{8})"),  # mobiles 6xx/7xx xxx xxx (no trunk prefix)
    "JP": re.compile(r"(?:[789]0\d{8}|[1-9]\d{8})"),  # 090/080/070 mobiles; 0X-XXXX-XXXX
}
TRUNK = {"VN": "0", "TH": "0", "ID": "0", "CZ": "", "JP": "0"}

_WORD_DIGITS = {
    # Vietnamese (accents folded)
    "khong": "0", "linh": "0", "mot": "1", "hai": "2", "ba": "3", "bon": "4", "tu": "4",
    "nam": "5", "lam": "5", "sau": "6", "bay": "7", "tam": "8", "chin": "9",
    # Indonesian
    "nol": "0", "kosong": "0", "satu": "1", "dua": "2", "tiga": "3", "empat": "4",
    "lima": "5", "enam": "6", "tujuh": "7", "delapan": "8", "sembilan": "9",
    # Czech (accents folded)
    "nula": "0", "jedna": "1", "jedno": "1", "dva": "2", "dve": "2", "tri": "3",
    "ctyri": "4", "pet": "5", "sest": "6", "sedm": "7", "osm": "8", "devet": "9",
    # English (shops across the region)
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_THAI_WORDS = {
    "ศูนย์": "0", "หนึ่ง": "1", "สอง": "2", "สาม": "3", "สี่": "4",
    "ห้า": "5", "หก": "6", "เจ็ด": "7", "แปด": "8", "เก้า": "9",
}  # fmt: skip
_KANJI = str.maketrans("〇零一二三四五六七八九", "00123456789")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_THAI_RE = re.compile("|".join(sorted(_THAI_WORDS, key=len, reverse=True)))
_KANJI_RUN = re.compile(r"[〇零一二三四五六七八九](?:[\s\-ー・]*[〇零一二三四五六七八九]){6,}")
_WORD_RE = re.compile(r"[^\W\d_]+")

_SEP = r"[\s.\-_/()ー・–—]{0,3}"
_RUN = re.compile(r"(?:\+|00)?\d(?:" + _SEP + r"\d)*")
_CURRENCY_AFTER = re.compile(
    r"^\s*(?:đ|d\b|vnd|vnđ|k\b|tr\b|triệu|trieu|nghìn|ngàn|ngan|บาท|฿|rp|ribu|rb\b|jt\b|juta|"
    r"kč|kc\b|czk|,-|円|万|yen|usd|\$|baht|thb|bath|%|cm|kg|g\b|ml|size)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:rp\.?|¥|\$|฿|usd|vnd|thb|czk|giá|price)\s*$", re.IGNORECASE)
_PHONE_HINT = re.compile(
    r"(?:sđt|sdt|đt|dt|tel|phone|zalo|hp|wa|whatsapp|line|โทร|เบอร์|no|nomor|telp|tlp|číslo|"
    r"cislo|mobil|電話|携帯|番号)\W{0,3}$",
    re.IGNORECASE,
)


def _fold(word: str) -> str:
    word = word.lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


_ORDER_BEFORE = re.compile(
    r"(?:mã đơn|ma don|đơn|don hang|stk|tài khoản|tai khoan|order|pesanan|resi|rek|rekening|"
    r"voucher|objednávk\w*|účet|ucet|faktur\w*|kód|kod|vs|(?<!tel\.)(?<!tel)č\.|"
    r"va\s+(?:bca|bni|bri|mandiri|permata|cimb|bsi)|virtual account|"
    r"注文番号|会員番号|口座|在庫番号|"
    r"เลขออเดอร์|บัญชี|พร้อมเพย์|รหัส)\W{0,3}$",
    re.IGNORECASE,
)
# An account word, then the bank's name, then the number ("rek BCA 0812…", "STK Vietcombank
# 0071…", "บัญชีกสิกร 012-3…").
_ACCOUNT_BEFORE = re.compile(
    r"(?:\b(?:stk|rek|rekening|tài khoản|tai khoan|účet|ucet)\s+[^\W\d_]{2,15}|บัญชี\S{0,12})"
    r"\W{0,3}$",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Digits in every script and number words become ASCII digits; the rest is kept."""
    text = unicodedata.normalize("NFKC", text or "").replace("\ufe0f", "").replace("\u20e3", "")
    text = text.translate(_THAI_DIGITS)
    # Letters standing in for digits inside a number: "o912…", "09l2…".
    text = re.sub(r"(?<![^\W\d_])[oO](?=\d{2})", "0", text)
    text = re.sub(r"(?<=\d)[lI](?=\d)", "1", text)
    text = _KANJI_RUN.sub(lambda m: m.group(0).translate(_KANJI), text)
    text = _THAI_RE.sub(lambda m: " " + _THAI_WORDS[m.group(0)] + " ", text)
    return _WORD_RE.sub(lambda m: _WORD_DIGITS.get(_fold(m.group(0)), m.group(0)), text)


# Landlines written with the country code only (a bare 9-digit number is too often something else).
INTERNATIONAL_ONLY = {"CZ": re.compile(r"[2-5]\d{8}")}


def _national_match(digits: str, international: bool, countries: Iterable[str]) -> bool:
    for country in countries:
        code, trunk, national = COUNTRY_CODES[country], TRUNK[country], NATIONAL[country]
        rest = digits[len(code) :] if digits.startswith(code) else None
        if rest is not None and national.fullmatch(rest):
            return True
        extra = INTERNATIONAL_ONLY.get(country)
        if rest is not None and international and extra and extra.fullmatch(rest):
            return True
        if not international:
            if trunk and digits.startswith(trunk) and national.fullmatch(digits[len(trunk) :]):
                return True
            if not trunk and national.fullmatch(digits):
                return True
    return False


def _groups(run: str) -> list[str]:
    return re.findall(r"\d+", run)


def _candidate_ok(text: str, start: int, end: int, run: str) -> bool:
    before, after = text[max(0, start - 12) : start], text[end : end + 12]
    if _CURRENCY_AFTER.match(after) or _CURRENCY_BEFORE.search(before):
        return False
    if _ORDER_BEFORE.search(text[max(0, start - 20) : start]):
        return False  # "mã đơn 0912…", "注文番号 090…": an order, an account
    if _ACCOUNT_BEFORE.search(text[max(0, start - 30) : start]):
        return False
    glued = before[-1:]
    if glued == "#" or (_latin(glued) and not _PHONE_HINT.search(before)):
        return False  # an order or tracking number ("#123…", "DH0912…")
    return not _latin(after[:1])  # "…5678A": a parcel number


def _latin(char: str) -> bool:
    """A Latin letter (Thai, Japanese and the like are written without spaces: a number
    right next to them is still a number)."""
    return bool(char) and char.isalpha() and "LATIN" in unicodedata.name(char, "")


def contains_phone(text: str, countries: Iterable[str] | None = None) -> bool:
    return bool(find_phones(text, countries))


def find_phones(text: str, countries: Iterable[str] | None = None) -> list[str]:
    """The phone numbers found (as digits), for the given countries (all five by default)."""
    countries = [c for c in (countries or COUNTRY_CODES) if c in COUNTRY_CODES]
    text = normalise(text)
    found = []
    for match in _RUN.finditer(text):
        run = match.group(0)
        if not _candidate_ok(text, match.start(), match.end(), run):
            continue
        international = run.startswith(("+", "00"))
        groups = _groups(run)
        if international and run.startswith("00"):
            groups[0] = groups[0][2:]
        number = _search(groups, international, countries)
        if number:
            found.append(number)
    return found


def _search(groups: list[str], international: bool, countries: list[str]) -> str:
    """Consecutive groups that make a number (two numbers in one run are both seen; a run of
    single digits must carry a trunk or country prefix, so "size 6 7 8 9 10 11" is not one)."""
    for i in range(len(groups)):
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j]
            if len(digits) > 15:
                break
            span = groups[i : j + 1]
            if len(digits) < 9:
                continue
            # "08 12 34 56 78": pairs need a prefix; digit by digit is a spelled-out number.
            spaced = len(span) > 4 and all(len(g) <= 2 for g in span) and max(map(len, span)) > 1
            if spaced and not (digits.startswith("0") or (international and i == 0)):
                continue
            if _national_match(digits, international and i == 0, countries):
                return digits
    return ""
