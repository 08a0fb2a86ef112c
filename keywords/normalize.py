"""Text normalisation for keyword matching, with offsets back into the original text.

Pure Python (no Django). Both sides — keywords and messages — go through the same functions:

* ``normalize(s)`` = NFC, then full case folding, then NFC again; variation selectors
  U+FE0E/U+FE0F are dropped so ``❤️`` and ``❤`` are the same keyword. NFKC is deliberately NOT
  used: it rewrites Thai SARA AM (U+0E33) into NIKHAHIT + SARA AA. We go the other way: the
  common typing NIKHAHIT + SARA AA (``ํา``, looks identical) becomes SARA AM (``ำ``), and the
  same for Lao (U+0ECD U+0EB2 → U+0EB3).
* ``fold_accents(n)`` (only for accent-insensitive keywords) maps precomposed Latin, Greek and
  Cyrillic letters to their base letter (``á``→``a``, ``đ``→``d``, ``ř``→``r``) with a
  precomputed ``str.translate`` table, and drops the generic combining diacritics
  (U+0300–U+036F and friends). Thai, Lao, Khmer, … vowel and tone marks are never touched,
  although they are Unicode category Mn too.

Offsets: most messages are already NFC and case-fold one character to one character, so the
normalised text is index-aligned with the original and no map is built (``starts is None``).
Otherwise the text is cut into normalisation-independent chunks (a starter plus the marks
that follow it) and every normalised character remembers the original span of its chunk.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import compress

from ._unicode_tables import MARK_RANGES, NO_BOUNDARY_RANGES, SPECIAL_RANGES

__all__ = [
    "Normalized",
    "char_class",
    "fold_accents",
    "fold_with_offsets",
    "is_no_space_char",
    "is_trim_char",
    "is_word_char",
    "normalize",
    "normalize_folded",
    "normalize_with_offsets",
    "trim_bounds",
]

_NFC = "NFC"
_VARIATION_SELECTORS = {0xFE0E: None, 0xFE0F: None}

_NO_BOUNDARY = frozenset(chr(cp) for lo, hi in NO_BOUNDARY_RANGES for cp in range(lo, hi + 1))


_MARK_SET = frozenset(chr(cp) for lo, hi in MARK_RANGES for cp in range(lo, hi + 1))
_SPECIAL_SET = frozenset(chr(cp) for lo, hi in SPECIAL_RANGES for cp in range(lo, hi + 1))


class _ClusterClasses(dict):
    """``str.translate`` table: code point → one-letter class (memoised). m = mark (attaches
    to the previous character), s = special (ß, İ, singletons), n = Thai/Lao NIKHAHIT,
    a = Thai/Lao SARA AA, p = plain (case-folds to exactly one stable character)."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        if ch in _MARK_SET:
            value = "m"
        elif ch in _SPECIAL_SET:
            value = "s"
        elif ch in "\u0e4d\u0ecd":
            value = "n"
        elif ch in "\u0e32\u0eb2":
            value = "a"
        else:
            value = "p"
        self[cp] = value
        return value


_CLUSTER_CLASSES = _ClusterClasses()
# A "cluster" is a piece of text that normalisation may change: a character followed by marks
# (combining, composing, variation selectors), a lone special character, or NIKHAHIT + SARA
# AA. Found on the one-letter class string; everything between clusters case-folds 1:1.
_CLUSTER_RE = re.compile("na|[^m]?m+|s")
_CLUSTER_CACHE: dict[str, str] = {}
_CLUSTER_CACHE_SIZE = 8192

# Scripts written without spaces between words: a WHOLE_WORD keyword in these scripts behaves
# as CONTAINS, and their letters do not glue a neighbouring Latin/Cyrillic/… word.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x303B, 0x303C),
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31C0, 0x31FF),  # CJK strokes, Katakana extension
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA9E0, 0xA9FF),  # Myanmar extended-B
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x1B000, 0x1B16F),  # Kana supplement / extended
    (0x20000, 0x323AF),  # CJK extensions B–H
)


def is_no_space_char(ch: str) -> bool:
    """True for a character of Thai, Lao, Khmer, Burmese, Chinese or Japanese."""
    cp = ord(ch)
    if cp < 0x0E00:
        return False
    return any(lo <= cp <= hi for lo, hi in _NO_SPACE_RANGES)


# Character classes used for word boundaries: 0 = not part of a word, 1 = word character
# (letter, mark or digit) of a script written with spaces, 2 = word character of a script
# written without spaces.
NON_WORD, WORD, NO_SPACE_WORD = 0, 1, 2


class _ClassTable(dict):
    """Memoised ``char → class`` lookups; a plain dict lookup once a character was seen."""

    def __missing__(self, ch: str) -> int:
        value = NON_WORD
        if unicodedata.category(ch)[0] in "LMN":
            value = NO_SPACE_WORD if is_no_space_char(ch) else WORD
        self[ch] = value
        return value


CHAR_CLASS: dict[str, int] = _ClassTable()


def char_class(ch: str) -> int:
    return CHAR_CLASS[ch]


def is_word_char(ch: str) -> bool:
    """A letter, mark or digit (Unicode categories L*, M*, N*)."""
    return CHAR_CLASS[ch] != NON_WORD


class _TrimTable(dict):
    def __missing__(self, ch: str) -> bool:
        cat = unicodedata.category(ch)
        value = cat[0] in "ZP" or cat in ("Cc", "Cf")
        self[ch] = value
        return value


_TRIM: dict[str, bool] = _TrimTable()


def is_trim_char(ch: str) -> bool:
    """Whitespace, punctuation and invisible format/control characters (trimmed at the ends
    of a message for the EXACT and STARTS_WITH modes)."""
    return _TRIM[ch]


def trim_bounds(text: str) -> tuple[int, int]:
    """``(start, end)`` of ``text`` without trim characters at both ends."""
    start, end = 0, len(text)
    trim = _TRIM
    while start < end and trim[text[start]]:
        start += 1
    while end > start and trim[text[end - 1]]:
        end -= 1
    return start, end


# --------------------------------------------------------------------------- normalisation


def _normalize_slow(text: str) -> str:
    s = unicodedata.normalize(_NFC, unicodedata.normalize(_NFC, text).casefold())
    if "\ufe0e" in s or "\ufe0f" in s:
        s = s.translate(_VARIATION_SELECTORS)
    if "\u0e4d\u0e32" in s:  # Thai NIKHAHIT + SARA AA → SARA AM
        s = s.replace("\u0e4d\u0e32", "\u0e33")
    if "\u0ecd\u0eb2" in s:  # Lao NIGGAHITA + AA → AM
        s = s.replace("\u0ecd\u0eb2", "\u0eb3")
    return s


def _fold_aligned(text: str) -> str | None:
    """``casefold(text)`` if it is NFC, index-aligned with ``text`` and NIKHAHIT-free (the
    common case; variation selectors still to be removed), else None."""
    if text.isascii():
        return text.lower()
    if not unicodedata.is_normalized(_NFC, text):
        return None
    folded = text.casefold()
    if len(folded) != len(text) or not unicodedata.is_normalized(_NFC, folded):
        return None
    if "\u0e4d" in folded or "\u0ecd" in folded:
        return None
    return folded


def _has_variation_selector(text: str) -> bool:
    return "\ufe0f" in text or "\ufe0e" in text


def _is_identity_normal(text: str) -> str | None:
    """The normalised text if it is index-aligned with ``text``, else None."""
    folded = _fold_aligned(text)
    if folded is None or _has_variation_selector(folded):
        return None
    return folded


_VS_RUN = re.compile("[\ufe0e\ufe0f]+")


def _drop_variation_selectors(folded: str) -> Normalized:
    """Remove variation selectors from an aligned text; each one joins the span of the
    character before it (so a match of ``❤`` in ``❤️`` covers both code points)."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for run in _VS_RUN.finditer(folded):
        lo, hi = run.span()
        parts.append(folded[pos:lo])
        starts.extend(range(pos, lo))
        ends.extend(range(pos + 1, lo + 1))
        if ends and ends[-1] == lo:
            ends[-1] = hi
        pos = hi
    parts.append(folded[pos:])
    starts.extend(range(pos, len(folded)))
    ends.extend(range(pos + 1, len(folded) + 1))
    return Normalized("".join(parts), starts, ends)


def normalize(text: str) -> str:
    """NFC + case folding (+ NFC), without variation selectors."""
    fast = _is_identity_normal(text)
    return fast if fast is not None else _normalize_slow(text)


@dataclass(slots=True)
class Normalized:
    """A normalised text plus, when not index-aligned with the original, for every
    normalised character the ``[start, end)`` span in the original text it came from."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None
    # True when an original piece became several normalised characters (ß → ss): then two
    # matches can map to the same original span, and the original order can differ.
    expanded: bool = False

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` for the normalised slice ``[start, end)`` (non-empty)."""
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _chunks(text: str) -> list[tuple[int, int]]:
    """Cut ``text`` before every starter that cannot interact with what precedes it."""
    bounds = []
    start = 0
    combining = unicodedata.combining
    for i in range(1, len(text)):
        ch = text[i]
        if not combining(ch) and ch not in _NO_BOUNDARY:
            bounds.append((start, i))
            start = i
    if text:
        bounds.append((start, len(text)))
    return bounds


def _merge_interacting(text: str, chunks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Safety net: merge neighbouring chunks whose normalisation is not independent."""
    merged: list[tuple[int, int]] = []
    for lo, hi in chunks:
        if merged:
            plo, phi = merged[-1]
            prev, cur = text[plo:phi], text[lo:hi]
            if _normalize_slow(prev + cur) != _normalize_slow(prev) + _normalize_slow(cur):
                merged[-1] = (plo, hi)
                continue
        merged.append((lo, hi))
    return merged


_STARTER_FLAGS = bytes(0 if b == ord("m") else 1 for b in range(256))


def _normalize_starters(text: str, expected: str) -> Normalized | None:
    """The common NFD case without a Python loop: when every cluster (a starter and its
    marks) normalises to exactly one character — the normalised length equals the number of
    starters — the j-th normalised character is the j-th cluster."""
    classes = text.translate(_CLUSTER_CLASSES)
    if classes[0] == "m" or "s" in classes or "n" in classes:
        return None
    starts = list(compress(range(len(text)), classes.encode("ascii").translate(_STARTER_FLAGS)))
    if len(starts) != len(expected):
        return None
    ends = starts[1:]
    ends.append(len(text))
    return Normalized(expected, starts, ends, False)


def _normalize_clusters(text: str) -> Normalized:
    """Case-fold the runs between clusters (1:1) and normalise each cluster on its own."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cache = _CLUSTER_CACHE
    pos = 0
    expanded = False
    for match in _CLUSTER_RE.finditer(text.translate(_CLUSTER_CLASSES)):
        lo, hi = match.span()
        if lo > pos:
            parts.append(text[pos:lo].casefold())
            starts.extend(range(pos, lo))
            ends.extend(range(pos + 1, lo + 1))
        cluster = text[lo:hi]
        piece = cache.get(cluster)
        if piece is None:
            if len(cache) >= _CLUSTER_CACHE_SIZE:
                cache.clear()
            piece = cache[cluster] = _normalize_slow(cluster)
        parts.append(piece)
        if len(piece) > 1:
            expanded = True
        starts.extend([lo] * len(piece))
        ends.extend([hi] * len(piece))
        pos = hi
    if pos < len(text):
        parts.append(text[pos:].casefold())
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    return Normalized("".join(parts), starts, ends, expanded)


def normalize_with_offsets(text: str) -> Normalized:
    """Normalise ``text`` and keep the way back to its offsets."""
    folded = _fold_aligned(text)
    if folded is not None:
        if not _has_variation_selector(folded):
            return Normalized(folded)
        return _drop_variation_selectors(folded)
    expected = _normalize_slow(text)
    result = _normalize_starters(text, expected)
    if result is not None:
        return result
    result = _normalize_clusters(text)
    if result.text == expected:
        return result
    # Safety net (not expected to happen): cut at every boundary-safe starter and, if needed,
    # merge neighbouring chunks whose normalisation interacts.
    for attempt in range(3):
        if attempt == 0:
            chunks = _chunks(text)
        elif attempt == 1:
            chunks = _merge_interacting(text, chunks)
        else:  # pragma: no cover - unreachable in practice: one chunk, coarse offsets
            chunks = [(0, len(text))]
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for lo, hi in chunks:
            piece = _normalize_slow(text[lo:hi])
            parts.append(piece)
            starts.extend([lo] * len(piece))
            ends.extend([hi] * len(piece))
        if "".join(parts) == expected:
            return Normalized(expected, starts, ends, True)
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- accent folding

_SPECIAL_FOLDS = {
    "đ": "d", "Đ": "d", "ð": "d", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ħ": "h", "Ħ": "h",
    "ŧ": "t", "Ŧ": "t", "ƀ": "b", "ɨ": "i", "ı": "i", "ƶ": "z", "ȥ": "z",
}  # fmt: skip

_FOLD_SOURCE_RANGES = (
    (0x00C0, 0x024F),  # Latin-1 supplement, Latin extended-A/B
    (0x1E00, 0x1EFF),  # Latin extended additional (Vietnamese)
    (0x2C60, 0x2C7F),  # Latin extended-C
    (0xA720, 0xA7FF),  # Latin extended-D
    (0x0370, 0x03FF),  # Greek
    (0x1F00, 0x1FFF),  # Greek extended
    (0x0400, 0x052F),  # Cyrillic + supplement
)

_STRIPPED_MARK_RANGES = (
    (0x0300, 0x036F),  # combining diacritical marks
    (0x1AB0, 0x1AFF),  # … extended
    (0x1DC0, 0x1DFF),  # … supplement
    (0x20D0, 0x20FF),  # … for symbols
    (0xFE20, 0xFE2F),  # combining half marks
)


def _build_fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    for lo, hi in _FOLD_SOURCE_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            base = "".join(
                c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
            )
            base = base.casefold()
            if len(base) == 1 and base != ch:
                table[cp] = ord(base)
    for src, dst in _SPECIAL_FOLDS.items():
        table[ord(src)] = ord(dst)
    for lo, hi in _STRIPPED_MARK_RANGES:
        for cp in range(lo, hi + 1):
            table[cp] = None
    return table


_FOLD_TABLE = _build_fold_table()
_DELETED = frozenset(chr(cp) for cp, v in _FOLD_TABLE.items() if v is None)
_DELETED_RE = re.compile(
    "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _STRIPPED_MARK_RANGES) + "]"
)
# The same 1:1 replacements as a string indexed by code point: ``str.translate`` is ~2x faster
# with it than with a dict (code points past its end are left unchanged).
_FOLD_STR_LIMIT = 0xA800
_FOLD_STR = "".join(
    chr(_FOLD_TABLE.get(cp) or cp) if _FOLD_TABLE.get(cp, 0) is not None else chr(cp)
    for cp in range(_FOLD_STR_LIMIT)
)
assert all(cp < _FOLD_STR_LIMIT for cp, v in _FOLD_TABLE.items() if v is not None)


def fold_accents(normalized: str) -> str:
    """Strip Latin/Greek/Cyrillic diacritics from an already normalised text."""
    if _DELETED_RE.search(normalized) is None:
        return normalized.translate(_FOLD_STR)
    return normalized.translate(_FOLD_TABLE)


def normalize_folded(text: str) -> str:
    return fold_accents(normalize(text))


def fold_with_offsets(norm: Normalized) -> Normalized:
    """Accent-fold a ``Normalized``; offsets are composed with the existing ones."""
    if _DELETED_RE.search(norm.text) is None:  # 1:1 replacement, no deletion
        return Normalized(norm.text.translate(_FOLD_STR), norm.starts, norm.ends, norm.expanded)
    folded = norm.text.translate(_FOLD_TABLE)
    starts: list[int] = []
    ends: list[int] = []
    src_starts = norm.starts
    src_ends = norm.ends
    for j, ch in enumerate(norm.text):
        if ch in _DELETED:
            continue
        if src_starts is None:
            starts.append(j)
            ends.append(j + 1)
        else:
            starts.append(src_starts[j])
            ends.append(src_ends[j])
    return Normalized(folded, starts, ends, norm.expanded)
