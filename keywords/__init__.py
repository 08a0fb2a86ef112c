"""The multilingual keyword engine: plain Python on pyahocorasick, no Django.

Used by the auto-reply rules (``inbox/automation``) and by TikTok signals (``signals_app``)::

    from keywords import KeywordSpec, MatchMode, get_matcher

    matcher = get_matcher(f"tenant:{tenant_id}", version, lambda: specs_for(tenant_id))
    matcher.find("Cho mình hỏi giá ạ")  # -> [KeywordMatch(key=…, keyword="giá", start=13, end=16)]
    matcher.matched_keys("GIÁ?")        # -> {key}; cheaper than find()

Modules: ``normalize`` (NFC + case folding + accent folding, with offsets back into the
original text), ``matcher`` (``KeywordMatcher``: the automata and the per-message scan),
``cache`` (the process-local matchers, rebuilt when the caller's version changes). This
package must import without Django configured (a test holds it to that).

Semantics
---------
* Keywords and messages are normalised identically (``normalize.normalize``: NFC + case
  folding); accent-insensitive keywords and the text they are matched against are additionally
  accent-folded (``normalize.fold_accents``). They live in a second automaton, so there are at
  most two scans per message.
* ``CONTAINS``: anywhere. ``WHOLE_WORD``: the characters just outside the match must not be word
  characters (Unicode letters L*, marks M*, digits N*). Only an edge of the keyword that is
  itself a word character needs a boundary (``#sale`` or ``🔥`` need none on that side). A
  keyword containing Thai, Lao, Khmer, Burmese, Chinese or Japanese behaves as ``CONTAINS``
  (those scripts have no spaces), and a letter of those scripts next to a keyword of another
  script is a boundary (``ขอcodได้ไหม`` contains the whole word ``cod``).
* ``EXACT``: the whole message equals the keyword once both are normalised and trimmed of
  whitespace, punctuation and invisible characters at their ends.
* ``STARTS_WITH``: the trimmed message starts with the trimmed keyword, followed by a boundary
  (no boundary needed for a keyword in a script written without spaces).
* Offsets in ``KeywordMatch`` are into the ORIGINAL text. Overlapping matches and every
  occurrence are reported; results are ordered by ``(end, start)`` (the automaton's order).
"""

from .cache import clear_matcher_cache, get_matcher
from .matcher import KeywordMatch, KeywordMatcher, KeywordSpec, MatchMode

__all__ = [
    "KeywordMatch",
    "KeywordMatcher",
    "KeywordSpec",
    "MatchMode",
    "clear_matcher_cache",
    "get_matcher",
]
