"""The C scanner (``inbox/automation/native/kwscan.c``) against the pure-Python engine it
replaces: same normalised text, same offsets, same matches; and the guards around it."""

import logging
import random
import sys
import unicodedata
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inbox.automation
from inbox.automation import keywords as kw_module
from inbox.automation import native as native_package
from inbox.automation.keywords import KeywordMatch, KeywordMatcher, KeywordSpec, MatchMode
from inbox.automation.native import tables_hash
from inbox.automation.normalize import fold_with_offsets, normalize_with_offsets

native = pytest.importorskip("inbox.automation._kwscan", reason="run bash bin/setup")


def python_view(text: str, fold: bool = False):
    norm = normalize_with_offsets(text)
    if fold:
        norm = fold_with_offsets(norm)
    return norm.text, norm.starts, norm.ends, norm.expanded


def assert_same_normalisation(text: str) -> None:
    for fold in (False, True):
        assert native.normalize(text, fold) == python_view(text, fold), (text, fold)


def test_the_c_scanner_is_built_current_and_used():
    assert kw_module.NATIVE, "the C scanner is not built: run bash bin/setup"
    assert tables_hash() == native.TABLES_HASH
    assert unicodedata.unidata_version == native.UNIDATA_VERSION
    assert KeywordMatcher([KeywordSpec(1, "giá")]).native is True


def test_a_stale_or_missing_module_falls_back_to_python(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="inbox.automation.keywords")
    monkeypatch.setattr(native_package, "tables_hash", lambda: "built from other sources")
    assert kw_module._load_native() is None
    assert "older sources" in caplog.text
    monkeypatch.setitem(sys.modules, "inbox.automation._kwscan", None)  # import fails
    monkeypatch.delattr(inbox.automation, "_kwscan")
    assert kw_module._load_native() is None
    assert "not built" in caplog.text
    monkeypatch.setattr(kw_module, "NATIVE", False)
    with pytest.raises(RuntimeError, match="not built"):
        KeywordMatcher([KeywordSpec(1, "a")], native=True)
    matcher = KeywordMatcher([KeywordSpec(1, "giá")])
    assert matcher.native is False and matcher.matched_keys("GIÁ?") == {1}


# Everything the normalisation treats differently: ASCII, Latin-1, precomposed and
# combining Vietnamese, Czech, Thai with tone marks, NIKHAHIT and SARA AA, ß / İ / ﬁ / the
# Angstrom sign (special), Greek sigma, Cyrillic, Hangul syllables and jamo, CJK, Devanagari
# nukta, Tibetan vowel signs, emoji with variation selectors and ZWJ, a lone surrogate.
ALPHABET = list(
    "aAzZ09 .,!?-_\t\n"
    "éÉçÇñÑøØŒœÿ"
    "ạẠệỆđĐơƠưƯ"
    "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323\u0345\u034f"
    "řŘůŮčČšŠžŽ"
    "กขคงาำเไ\u0e31\u0e34\u0e38\u0e48\u0e49\u0e4d\u0e32"
    "ßẞİıﬁ\u212b\u2126ΣσςΐΑά"
    "ДдЁёІі"
    "가각\u1100\u1161\u11a8"
    "中文カタ々"
    "क\u093c\u0915\u093e"
    "\u0f73\u0f71\u0f72"
    "🔥❤\ufe0f\ufe0e\u200d👍🏽"
    "\ud800"
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_normalisation_and_offsets_match_python(text):
    assert_same_normalisation(text)


def test_every_code_point_normalises_as_in_python():
    """Each assigned code point (and a sample of the CJK and unassigned ones) alone, between
    letters, carrying a mark and as a mark."""
    for cp in range(0x110000):
        ch = chr(cp)
        uniform = unicodedata.category(ch) == "Cn" or unicodedata.name(ch, "").startswith("CJK")
        if uniform and cp % 97:
            continue
        for text in (ch, f"A{ch}b", f"{ch}\u0301x", f"e{ch}"):
            assert native.normalize(text) == python_view(text), hex(cp)
        if cp < 0x3000:
            assert native.normalize(f"A{ch}b", True) == python_view(f"A{ch}b", True), hex(cp)


def marked_letters(marks_each: int) -> list[str]:
    """Distinct clusters: a Latin or Cyrillic letter and two combining marks."""
    bases = [chr(c) for c in range(0x61, 0x7B)] + [chr(c) for c in range(0x430, 0x450)]
    marks = [chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))]
    firsts, seconds = marks[:marks_each], marks[marks_each : 2 * marks_each]
    return [b + m1 + m2 for b in bases for m1 in firsts for m2 in seconds]


def test_long_texts_and_many_distinct_clusters():
    """Past the stack buffer (256 characters) and past the cluster cache (4,096 slots, reset
    when three quarters full): still the same as Python."""
    pieces = marked_letters(40)
    random.Random(7).shuffle(pieces)
    for start in range(0, 8000, 400):
        text = " ".join(pieces[start : start + 400])
        assert len(text) > 256
        assert_same_normalisation(text)
    assert_same_normalisation(unicodedata.normalize("NFD", "Thanh toán chuyển khoản " * 300))


def test_find_answers_tuples_with_names_and_rejects_non_text():
    m = KeywordMatcher([KeywordSpec("price", "giá")])
    (match,) = m.find("Cho mình hỏi GIÁ ạ")
    assert isinstance(match, KeywordMatch)
    assert (match.key, match.keyword, match.start, match.end) == ("price", "giá", 13, 16)
    assert m.find("") == [] and m.matched_keys("") == set()
    with pytest.raises(TypeError):
        m.find(b"gia")
    with pytest.raises(TypeError):
        m.matched_keys(None)


WORDS = str.split(
    "giá bao nhiêu thanh toán chuyển khoản ship cod order price PAYMENT ราคา เท่าไหร่ "
    "โอน น้ำ ส่งฟรี cena platba dobírka harga bayar 🔥 ❤️ #sale ? ok ß straße İstanbul "
    "z\u0303 Z\u0303oo"  # a mark NFC cannot compose: accent folding deletes it
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_c_scanner_finds_what_the_python_engine_finds(data):
    """Shop-like messages (mixed scripts, upper case, NFD, punctuation) and keyword sets of
    every mode, with and without accents."""
    n_words = data.draw(st.integers(1, 25))
    words = [data.draw(st.sampled_from(WORDS + list(ALPHABET))) for _ in range(n_words)]
    text = " ".join(words)
    form = data.draw(st.sampled_from(["as is", "upper", "NFD", "NFC"]))
    if form == "upper":
        text = text.upper()
    elif form != "as is":
        text = unicodedata.normalize(form, text)
    specs = [
        KeywordSpec(
            key=data.draw(st.integers(0, 6)),
            text=data.draw(st.sampled_from(WORDS)),
            mode=data.draw(st.sampled_from(list(MatchMode))),
            accent_insensitive=data.draw(st.booleans()),
        )
        for _ in range(data.draw(st.integers(1, 12)))
    ]
    c_engine = KeywordMatcher(specs)
    py_engine = KeywordMatcher(specs, native=False)
    got = c_engine.find(text)
    assert Counter(got) == Counter(py_engine.find(text))
    assert got == sorted(got, key=lambda m: (m.end, m.start))
    assert c_engine.matched_keys(text) == py_engine.matched_keys(text) == {m.key for m in got}


def test_threads_share_the_cluster_cache_safely():
    """Web and worker threads scan at once; the cluster cache is process-wide. Distinct NFD
    texts (misses, cache resets) from four threads still match the Python engine."""
    from concurrent.futures import ThreadPoolExecutor

    words = marked_letters(30)
    texts = [" ".join(words[i : i + 60]) + " Giá thanh toán" for i in range(0, 30000, 60)]
    specs = [KeywordSpec("price", "giá"), KeywordSpec("pay", "thanh toan", accent_insensitive=True)]
    c_engine = KeywordMatcher(specs)
    py_engine = KeywordMatcher(specs, native=False)
    expected = [py_engine.find(text) for text in texts]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(c_engine.find, texts)) == expected
