"""Reading a customer's reply to the satisfaction question as a rating from 1 to 5.

Pure Python (no Django). A reply counts only when the whole message is a rating: a digit
("4", "4/5", full-width "４"), a keycap emoji ("4️⃣"), stars ("★★★★", "★★★★☆", "⭐⭐⭐"), a
rating face (😡 1 … 😍 5), or a number word in a shipped language (en, vi, th, id, cs, ja:
"four", "bốn", "สี่", "empat", "čtyři", "四"), optionally followed by that language's word for
stars or points and a polite particle ("5 sao", "ห้าดาวค่ะ", "5点です"). Anything longer is a
normal message ("5 more minutes please" is not a rating).
"""

from __future__ import annotations

import re
import unicodedata

NUMBER_WORDS = {
    # English
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    # Vietnamese (with and without diacritics)
    "một": 1, "mot": 1, "hai": 2, "ba": 3, "bốn": 4, "bon": 4, "tư": 4, "năm": 5, "nam": 5,
    # Thai
    "หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5,
    # Indonesian
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    # Czech (numbers and the names of the digits, with and without diacritics)
    "jedna": 1, "jeden": 1, "jednička": 1, "jednicka": 1,
    "dva": 2, "dvě": 2, "dve": 2, "dvojka": 2,
    "tři": 3, "tri": 3, "trojka": 3,
    "čtyři": 4, "ctyri": 4, "čtyřka": 4, "ctyrka": 4,
    "pět": 5, "pet": 5, "pětka": 5, "petka": 5,
    # Japanese
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
    "いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5,
    "ひとつ": 1, "ふたつ": 2, "みっつ": 3, "よっつ": 4, "いつつ": 5,
}  # fmt: skip

FACES = {
    "😡": 1, "😠": 1, "🤬": 1, "😤": 1,
    "🙁": 2, "☹": 2, "😞": 2, "😟": 2, "😕": 2,
    "😐": 3, "😑": 3, "😶": 3,
    "🙂": 4, "😊": 4, "☺": 4,
    "😀": 5, "😃": 5, "😄": 5, "😁": 5, "😍": 5, "🤩": 5, "🥰": 5,
}  # fmt: skip

# Words for "star(s)" / "point(s)" after the number, polite particles, and punctuation.
UNIT_WORDS = (
    "stars", "star", "sao", "ดาว", "คะแนน", "bintang", "hvězdičky", "hvězdičku", "hvězdička",
    "hvězdy", "hvězd", "hvezdicky", "hvezdy", "hvezd", "つ", "点", "星",
)  # fmt: skip
PARTICLES = ("ครับ", "ค่ะ", "คะ", "นะ", "ạ", "a", "です", "dong", "ya", "please", "pls")
STARS_FULL = "★⭐🌟"
STARS_EMPTY = "☆"
KEYCAP = "\u20e3"
DIGITS = re.compile(r"([1-5])(?:\s*/\s*5)?")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    text = text.replace("\ufe0f", "").replace("\ufe0e", "")  # emoji presentation selectors
    return re.sub(r"[\s.,!?。、！？~～:;()\"'“”]+", " ", text).strip()


def _stripped(text: str):
    """The text, then the text without each trailing particle or unit word in turn."""
    yield text
    changed = True
    while changed and text:
        changed = False
        for word in (*PARTICLES, *UNIT_WORDS):
            if text.endswith(word) and len(text) > len(word):
                before = text[: -len(word)]
                # a Latin word must stand apart ("lima bintang"), other scripts may touch it
                if word.isascii() and before[-1:].isalpha() and before[-1:].isascii():
                    continue
                text = before.rstrip()
                changed = True
                yield text
                break


def _stars(text: str) -> int | None:
    compact = text.replace(" ", "")
    if not compact or any(c not in STARS_FULL + STARS_EMPTY for c in compact):
        return None
    full = sum(1 for c in compact if c in STARS_FULL)
    return full if 1 <= full <= 5 else None


def rating_from_reply(text: str) -> int | None:
    """The rating 1–5 the reply gives, or None when it is not (only) a rating."""
    text = _normalise(text or "")
    if not text or len(text) > 40:
        return None
    stars = _stars(text)
    if stars is not None:
        return stars
    if len(text) == 2 and text[1] == KEYCAP and text[0] in "12345":
        return int(text[0])
    if text in FACES:
        return FACES[text]
    for candidate in _stripped(text):
        match = DIGITS.fullmatch(candidate)
        if match:
            return int(match.group(1))
        if candidate in NUMBER_WORDS:
            return NUMBER_WORDS[candidate]
    return None
