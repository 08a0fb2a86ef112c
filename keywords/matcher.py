"""``KeywordMatcher``: every keyword of a tenant compiled into pyahocorasick automata; the
semantics are described in the package docstring (``keywords/__init__.py``).

At most two scans per message: the plain automaton, and the accent-folded one when some
keywords ignore accents. The hot loop (``_scan``) is kept flat on purpose.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple

import ahocorasick

from .normalize import (
    CHAR_CLASS,
    NON_WORD,
    WORD,
    Normalized,
    fold_accents,
    fold_with_offsets,
    is_no_space_char,
    normalize,
    normalize_with_offsets,
    trim_bounds,
)

__all__ = [
    "KeywordMatch",
    "KeywordMatcher",
    "KeywordSpec",
    "MatchMode",
]


class MatchMode(StrEnum):
    CONTAINS = "contains"
    WHOLE_WORD = "whole_word"
    EXACT = "exact"
    STARTS_WITH = "starts_with"


@dataclass(frozen=True)
class KeywordSpec:
    key: Hashable
    text: str
    mode: MatchMode = MatchMode.WHOLE_WORD
    accent_insensitive: bool = False


class KeywordMatch(NamedTuple):
    key: Hashable
    keyword: str
    start: int  # offsets into the ORIGINAL text, [start, end)
    end: int


# Per-entry check kinds (small ints: compared in the hot loop).
_FREE = 0  # CONTAINS, or WHOLE_WORD in a no-space script: no check at all
_WORD = 1  # WHOLE_WORD: boundary on the edges that are word characters
_START = 2  # STARTS_WITH: anchored at the trimmed start + right boundary
_EXACT = 3  # EXACT: spans the trimmed message
# A keyword made only of punctuation ("?", "!!!") is not trimmed; it is anchored to the
# message stripped of whitespace only.
_START_PUNCT = 4
_EXACT_PUNCT = 5

_by_position = attrgetter("end", "start")


def _edge_needs_boundary(ch: str) -> bool:
    # A keyword edge that is a word character must not be glued to another word character.
    return CHAR_CLASS[ch] != NON_WORD


class _Side:
    """One automaton (plain or accent-folded). Each pattern string maps to a tuple
    ``(length, free, checked)``: ``free`` = ``(key, keyword)`` pairs reported without checks,
    ``checked`` = ``(kind, left_boundary, right_boundary, key, keyword)`` entries."""

    __slots__ = ("automaton", "anchored", "patterns")

    def __init__(self) -> None:
        self.automaton = ahocorasick.Automaton()
        self.anchored = False  # any EXACT / STARTS_WITH pattern (needs the trimmed bounds)
        self.patterns: dict[str, tuple[list, list]] = {}

    @property
    def size(self) -> int:
        return len(self.patterns)

    def add(self, norm: str, kind: int, left: bool, right: bool, key: Hashable, text: str):
        free, checked = self.patterns.setdefault(norm, ([], []))
        if kind == _FREE:
            free.append((key, text))
        else:
            checked.append((kind, left, right, key, text))
            if kind >= _START:
                self.anchored = True

    def build(self) -> None:
        for norm, (free, checked) in self.patterns.items():
            self.automaton.add_word(norm, (len(norm), tuple(free), tuple(checked)))
        if self.patterns:
            self.automaton.make_automaton()


def _prepare(spec: KeywordSpec) -> tuple[str, int, bool, bool] | None:
    """Normalised pattern, check kind and boundary flags for a spec (None: nothing to match)."""
    norm = normalize(spec.text)
    if spec.accent_insensitive:
        norm = fold_accents(norm)
    mode = MatchMode(spec.mode)
    punct = False
    if mode in (MatchMode.EXACT, MatchMode.STARTS_WITH):
        lo, hi = trim_bounds(norm)
        if hi > lo:
            norm = norm[lo:hi]
        else:  # only punctuation / whitespace: kept, without surrounding whitespace
            norm = norm.strip()
            punct = True
    if not norm:
        return None
    no_space = any(is_no_space_char(c) for c in norm)
    left = _edge_needs_boundary(norm[0]) and not no_space
    right = _edge_needs_boundary(norm[-1]) and not no_space
    if mode is MatchMode.CONTAINS:
        return norm, _FREE, False, False
    if mode is MatchMode.WHOLE_WORD and not (left or right):  # incl. no-space scripts
        return norm, _FREE, False, False
    if mode is MatchMode.WHOLE_WORD:
        return norm, _WORD, left, right
    if mode is MatchMode.STARTS_WITH:
        return norm, _START_PUNCT if punct else _START, False, right
    return norm, _EXACT_PUNCT if punct else _EXACT, False, False


class KeywordMatcher:
    """All of a tenant's keywords, compiled once; ``find`` and ``matched_keys`` per message."""

    def __init__(self, specs: Iterable[KeywordSpec]) -> None:
        self.specs: tuple[KeywordSpec, ...] = tuple(dict.fromkeys(specs))
        prepared = []
        seen_key_text: set[tuple[Hashable, str]] = set()
        # Two specs with the same key and keyword can report the same span twice.
        self._may_repeat = False
        for spec in self.specs:
            found = _prepare(spec)
            if found is None:
                continue
            if (spec.key, spec.text) in seen_key_text:
                self._may_repeat = True
            seen_key_text.add((spec.key, spec.text))
            prepared.append((spec, *found))
        self._plain = _Side()
        self._folded = _Side()
        for spec, norm, kind, left, right in prepared:
            side = self._folded if spec.accent_insensitive else self._plain
            side.add(norm, kind, left, right, spec.key, spec.text)
        self._plain.build()
        self._folded.build()
        self.automata = [side.automaton for side in (self._plain, self._folded) if side.size]

    def __len__(self) -> int:
        return len(self.specs)

    # ------------------------------------------------------------------ scanning

    @staticmethod
    def _scan(side: _Side, norm: Normalized, out: list, keys: set | None) -> None:
        """Append the accepted matches of one automaton to ``out`` (as ``KeywordMatch``), or
        only their keys to ``keys`` when it is given. Hot loop: kept flat on purpose."""
        text = norm.text
        n = len(text)
        starts = norm.starts
        ends = norm.ends
        classes = CHAR_CLASS
        if side.anchored:
            t_lo, t_hi = trim_bounds(text)
            w_lo = n - len(text.lstrip())
            w_hi = len(text.rstrip())
        else:
            t_lo = t_hi = w_lo = w_hi = -1
        append = out.append
        new = tuple.__new__
        match_cls = KeywordMatch
        for last, (length, free, checked) in side.automaton.iter(text):
            end = last + 1
            start = end - length
            if free:
                if keys is not None:
                    for key, _ in free:
                        keys.add(key)
                else:
                    o_start, o_end = (start, end) if starts is None else (starts[start], ends[last])
                    for key, keyword in free:
                        # KeywordMatch(key, keyword, o_start, o_end) without the NamedTuple
                        # __new__ wrapper (2x slower; this is the engine's hottest line).
                        append(new(match_cls, (key, keyword, o_start, o_end)))
            if not checked:
                continue
            for kind, left, right, key, keyword in checked:
                if kind == _WORD:
                    if left and start > 0 and classes[text[start - 1]] == WORD:
                        continue
                    if right and end < n and classes[text[end]] == WORD:
                        continue
                elif kind == _EXACT:
                    if start != t_lo or end != t_hi:
                        continue
                elif kind == _START:
                    if start != t_lo:
                        continue
                    if right and end < n and classes[text[end]] == WORD:
                        continue
                elif kind == _EXACT_PUNCT:
                    if start != w_lo or end != w_hi:
                        continue
                elif start != w_lo:  # _START_PUNCT
                    continue
                if keys is not None:
                    keys.add(key)
                    continue
                o_start, o_end = (start, end) if starts is None else (starts[start], ends[last])
                append(new(match_cls, (key, keyword, o_start, o_end)))

    def find(self, text: str) -> list[KeywordMatch]:
        """Every match of every keyword in ``text``, with offsets into ``text``, ordered by
        where they end, then where they start."""
        out: list[KeywordMatch] = []
        if not text:
            return out
        norm = normalize_with_offsets(text)
        plain = self._plain
        if plain.patterns:
            self._scan(plain, norm, out, None)
        folded = self._folded
        if folded.patterns:
            before = len(out)
            self._scan(folded, fold_with_offsets(norm), out, None)
            mixed = 0 < before < len(out)
        else:
            mixed = False
        if len(out) > 1:
            if self._may_repeat or norm.expanded:
                out = list(dict.fromkeys(out))
                out.sort(key=_by_position)
            elif mixed:
                out.sort(key=_by_position)
        return out

    def matched_keys(self, text: str) -> set[Hashable]:
        """The keys of the keywords found in ``text`` (cheaper than ``find``)."""
        keys: set[Hashable] = set()
        if not text:
            return keys
        norm = normalize_with_offsets(text)
        if self._plain.patterns:
            self._scan(self._plain, norm, [], keys)
        if self._folded.patterns:
            self._scan(self._folded, fold_with_offsets(norm), [], keys)
        return keys
