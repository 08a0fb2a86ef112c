"""The multilingual keyword engine, no database."""

import unicodedata
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keywords import (
    KeywordMatch,
    KeywordMatcher,
    KeywordSpec,
    MatchMode,
    clear_matcher_cache,
    get_matcher,
)
from keywords import cache as kw_cache
from keywords.normalize import (
    fold_accents,
    fold_with_offsets,
    normalize,
    normalize_with_offsets,
)

C, W, E, S = MatchMode.CONTAINS, MatchMode.WHOLE_WORD, MatchMode.EXACT, MatchMode.STARTS_WITH


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def found(matcher: KeywordMatcher, text: str) -> list[tuple[object, str]]:
    """(key, matched slice of the ORIGINAL text) for every match."""
    return [(m.key, text[m.start : m.end]) for m in matcher.find(text)]


def one(text_kw: str, mode: MatchMode = W, accents: bool = False) -> KeywordMatcher:
    return KeywordMatcher([KeywordSpec("k", text_kw, mode, accents)])


# --------------------------------------------------------------------------- English


def test_whole_word_english():
    m = one("price")
    assert found(m, "What's the PRICE?") == [("k", "PRICE")]
    assert found(m, "prices please") == []
    assert found(m, "overpriced") == []
    assert found(m, "price_list") == [("k", "price")]  # underscore is not a letter


def test_contains_english():
    m = one("price", C)
    assert found(m, "overpriced") == [("k", "price")]
    assert found(m, "Price, price, PRICE") == [("k", "Price"), ("k", "price"), ("k", "PRICE")]


def test_exact_english():
    m = one("Hi", E)
    assert found(m, "  hi!! ") == [("k", "hi")]
    assert found(m, "hi there") == []
    assert found(m, "oh hi") == []
    assert found(one("hi!", E), "HI") == [("k", "HI")]  # the keyword is trimmed too


def test_starts_with_english():
    m = one("order", S)
    assert found(m, "Order #123 please") == [("k", "Order")]
    assert found(m, "  ...order") == [("k", "order")]
    assert found(m, "orders") == []
    assert found(m, "my order") == []
    assert found(one("#order", S), "#ORDER 55") == [("k", "ORDER")]


def test_punctuation_only_keywords_are_not_trimmed_away():
    assert found(one("?", E), " ? ") == [("k", "?")]
    assert found(one("?", E), "what?") == []
    assert found(one("??", S), "?? hello") == [("k", "??")]


def test_every_occurrence_and_overlapping_keywords_are_reported_in_order():
    m = KeywordMatcher(
        [KeywordSpec("pay", "pay", C), KeywordSpec("payment", "payment"), KeywordSpec("me", "me")]
    )
    assert found(m, "payment to me") == [("pay", "pay"), ("payment", "payment"), ("me", "me")]


# --------------------------------------------------------------------------- Vietnamese


def test_vietnamese_with_accents():
    m = one("thanh toán")
    assert found(m, "Mình muốn THANH TOÁN ạ") == [("k", "THANH TOÁN")]
    assert found(m, "thanh toan") == []  # accent-sensitive by default


def test_vietnamese_accent_insensitive_both_ways():
    m = one("thanh toan", accents=True)
    assert found(m, "Mình muốn Thanh toán ạ") == [("k", "Thanh toán")]
    assert found(m, "thanh toan nhe") == [("k", "thanh toan")]
    m = one("đặt hàng", accents=True)
    assert found(m, "DAT HANG giup em") == [("k", "DAT HANG")]
    assert found(m, "Đặt Hàng") == [("k", "Đặt Hàng")]


def test_vietnamese_nfd_input_matches_nfc_keyword():
    text = nfd("Cho mình hỏi GIÁ bao nhiêu")
    m = one("giá")
    assert found(m, text) == [("k", nfd("GIÁ"))]
    m = one("gia", accents=True)
    assert found(m, text) == [("k", nfd("GIÁ"))]


def test_vietnamese_nfd_keyword_matches_nfc_text():
    assert found(one(nfd("giá")), "giá?") == [("k", "giá")]


def test_vietnamese_whole_word_needs_boundaries_around_combining_marks():
    # In NFD "giá" the keyword "gia" is followed by a combining acute: inside the word.
    assert found(one("gi"), nfd("giá")) == []
    assert found(one("gia"), nfd("giá")) == []
    assert found(one("gia", C), nfd("giá")) == []  # NFC: the "a" became "á"
    # A mark with no precomposed form stays separate and still glues to its word.
    assert found(one("ok"), "ok\u0303 ") == []
    assert found(one("ok", C), "ok\u0303 ") == [("k", "ok")]


# --------------------------------------------------------------------------- Thai


def test_thai_keyword_inside_a_sentence_without_spaces():
    m = one("ราคา")  # WHOLE_WORD behaves as CONTAINS for Thai
    assert found(m, "สนใจค่ะราคาเท่าไหร่คะ") == [("k", "ราคา")]


def test_thai_sara_am():
    m = one("ทำ")
    assert found(m, "ทำยังไงคะ") == [("k", "ทำ")]
    # SARA AM typed as NIKHAHIT + SARA AA looks identical and is found too.
    typed = "\u0e17\u0e4d\u0e32\u0e22\u0e31\u0e07\u0e44\u0e07"
    assert found(m, typed) == [("k", typed[:3])]


def test_thai_marks_in_non_canonical_order():
    keyword = "\u0e01\u0e38\u0e48\u0e07"  # กุ่ง
    typed = "\u0e01\u0e48\u0e38\u0e07"  # tone mark typed before the vowel
    assert found(one(keyword), "ขาย" + typed + "สด") == [("k", typed)]
    assert found(one(keyword), nfd("ขาย" + keyword)) == [("k", keyword)]


def test_thai_tone_marks_are_not_stripped_by_accent_insensitivity():
    assert found(one("ไม่", C, accents=True), "ไมค์") == []
    assert found(one("ไม่", C, accents=True), "ไม่เอา") == [("k", "ไม่")]


def test_latin_keyword_next_to_thai_letters_is_a_whole_word():
    assert found(one("cod"), "ขอเก็บเงินปลายทางCODได้ไหม") == [("k", "COD")]
    assert found(one("cod"), "codes") == []


def test_thai_starts_with_and_exact():
    assert found(one("สวัสดี", S), "สวัสดีค่ะ") == [("k", "สวัสดี")]
    assert found(one("สวัสดี", E), " สวัสดี! ") == [("k", "สวัสดี")]
    assert found(one("สวัสดี", E), "สวัสดีค่ะ") == []


def test_other_no_space_scripts_behave_as_contains():
    assert found(one("价格"), "请问价格多少") == [("k", "价格")]
    assert found(one("ねだん"), "このねだんは") == [("k", "ねだん")]
    assert found(one("ລາຄາ"), "ລາຄາເທົ່າໃດ") == [("k", "ລາຄາ")]
    assert found(one("តម្លៃ"), "សុំតម្លៃ") == [("k", "តម្លៃ")]
    assert found(one("ဈေး"), "ဈေးဘယ်လောက်လဲ") == [("k", "ဈေး")]


# --------------------------------------------------------------------------- Czech, Indonesian


def test_czech():
    assert found(one("platba"), "PLATBA předem?") == [("k", "PLATBA")]
    assert found(one("platba"), "platbami") == []
    assert found(one("objednávka"), "Moje OBJEDNÁVKA č. 5") == [("k", "OBJEDNÁVKA")]
    assert found(one("objednavka", accents=True), "objednávka") == [("k", "objednávka")]
    assert found(one("dobrý den", E), nfd("Dobrý den!")) == [("k", nfd("Dobrý den"))]
    assert found(one("přeprava", S), nfd("PŘEPRAVA zdarma?")) == [("k", nfd("PŘEPRAVA"))]


def test_indonesian():
    m = KeywordMatcher([KeywordSpec("price", "harga"), KeywordSpec("ship", "ongkir", C)])
    assert found(m, "Kak, HARGA nya berapa? ongkirnya?") == [
        ("price", "HARGA"),
        ("ship", "ongkir"),
    ]
    assert found(m, "hargai") == []
    assert found(one("halo", E), "Halo!!") == [("k", "Halo")]
    assert found(one("mau beli", S), "Mau beli 2") == [("k", "Mau beli")]


# --------------------------------------------------------------------------- emoji


def test_emoji_keywords():
    m = one("🔥")
    assert found(m, "sale🔥🔥") == [("k", "🔥"), ("k", "🔥")]
    assert found(one("❤️", C), "I ❤ it") == [("k", "❤")]
    assert found(one("❤", C), "I ❤️ it") == [("k", "❤️")]  # with its variation selector
    assert found(one("👍", E), " 👍 ") == [("k", "👍")]
    assert found(one("hello", W), "hello👋") == [("k", "hello")]


def test_emoji_before_a_keyword_does_not_shift_offsets():
    text = "😀😀 GIÁ?"
    assert found(one("giá"), text) == [("k", "GIÁ")]
    assert found(one("giá"), nfd(text)) == [("k", nfd("GIÁ"))]


# --------------------------------------------------------------------------- offsets, API


def test_offsets_point_into_the_original_text_through_length_changes():
    text = "Große GRÖSSE, " + nfd("Thanh TOÁN")
    m = KeywordMatcher(
        [KeywordSpec("g", "grösse"), KeywordSpec("p", "thanh toan", accent_insensitive=True)]
    )
    assert found(m, text) == [("g", "GRÖSSE"), ("p", nfd("Thanh TOÁN"))]
    match = m.find(text)[0]
    assert match == KeywordMatch("g", "grösse", 6, 12)


def test_matched_keys_and_shared_keys():
    m = KeywordMatcher(
        [
            KeywordSpec(1, "price"),
            KeywordSpec(1, "giá"),
            KeywordSpec(2, "ship", C),
            KeywordSpec(3, "never"),
        ]
    )
    assert m.matched_keys("price? giá? shipping?") == {1, 2}
    assert m.matched_keys("") == set()


def test_modes_given_as_plain_strings_and_empty_keywords():
    m = KeywordMatcher([KeywordSpec("a", "hi", "exact"), KeywordSpec("b", "   ")])
    assert found(m, "HI") == [("a", "HI")]
    assert KeywordMatcher([]).find("anything") == []


def test_get_matcher_caches_per_key_and_rebuilds_on_new_version():
    clear_matcher_cache()
    calls = []

    def build(words):
        def _build():
            calls.append(words)
            return [KeywordSpec(w, w) for w in words]

        return _build

    first = get_matcher("tenant:1", 1, build(["a"]))
    assert get_matcher("tenant:1", 1, build(["ignored"])) is first
    other = get_matcher("tenant:2", 1, build(["b"]))
    assert other is not first
    second = get_matcher("tenant:1", 2, build(["c"]))
    assert second is not first and second.matched_keys("c") == {"c"}
    assert calls == [["a"], ["b"], ["c"]]
    clear_matcher_cache()


def test_get_matcher_cache_is_bounded(monkeypatch):
    clear_matcher_cache()
    monkeypatch.setattr(kw_cache, "_CACHE_SIZE", 3)
    for i in range(10):
        get_matcher(f"t{i}", 1, lambda: [KeywordSpec("x", "x")])
    assert len(kw_cache._cache) == 3
    clear_matcher_cache()


def test_accent_insensitive_keywords_get_their_own_automaton():
    """One automaton for the plain keywords, a second for the accent-folded ones: at most
    two scans per message."""
    specs = [KeywordSpec(i, f"word{i}", mode) for i, mode in enumerate(MatchMode)]
    assert [len(a) for a in KeywordMatcher(specs).automata] == [4]
    specs.append(KeywordSpec("x", "thanh toan", accent_insensitive=True))
    m = KeywordMatcher(specs)
    assert [len(a) for a in m.automata] == [4, 1]
    # A keyword with a mark NFC cannot compose, matched WITH its accent.
    specs.append(KeywordSpec("q", "q\u0303"))
    m = KeywordMatcher(specs)
    assert found(m, "Q\u0303 thanh toán") == [("q", "Q\u0303"), ("x", "thanh toán")]
    assert found(m, "q thanh toan") == [("x", "thanh toan")]


# --------------------------------------------------------------------------- property test

_NO_SPACE_NAMES = ("THAI ", "LAO ", "KHMER ", "MYANMAR ", "CJK ", "HIRAGANA ", "KATAKANA ")


def _ref_no_space(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(_NO_SPACE_NAMES)


def _ref_word(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def _ref_trim(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "ZP" or cat in ("Cc", "Cf")


def _ref_trim_bounds(t: str) -> tuple[int, int]:
    lo, hi = 0, len(t)
    while lo < hi and _ref_trim(t[lo]):
        lo += 1
    while hi > lo and _ref_trim(t[hi - 1]):
        hi -= 1
    return lo, hi


def reference_find(specs, text):
    """A slow, straightforward matcher: every keyword, every position, spelled-out rules."""
    results = set()
    plain = normalize_with_offsets(text)
    folded = fold_with_offsets(plain)
    for spec in specs:
        mode = MatchMode(spec.mode)
        keyword = normalize(spec.text)
        hay = plain
        if spec.accent_insensitive:
            keyword = fold_accents(keyword)
            hay = folded
        t = hay.text
        punct = False
        if mode in (E, S):
            lo, hi = _ref_trim_bounds(keyword)
            if hi > lo:
                keyword = keyword[lo:hi]
            else:
                keyword = keyword.strip()
                punct = True
        if not keyword:
            continue
        no_space = any(_ref_no_space(c) for c in keyword)

        def glued(neighbour, edge, no_space=no_space):
            return (
                not no_space
                and neighbour is not None
                and _ref_word(edge)
                and _ref_word(neighbour)
                and not _ref_no_space(neighbour)
            )

        for i in range(len(t) - len(keyword) + 1):
            j = i + len(keyword)
            if t[i:j] != keyword:
                continue
            before = t[i - 1] if i > 0 else None
            after = t[j] if j < len(t) else None
            if mode is C:
                ok = True
            elif mode is W:
                ok = not glued(before, keyword[0]) and not glued(after, keyword[-1])
            elif mode is E:
                if punct:
                    ok = t.strip() == keyword and i == len(t) - len(t.lstrip())
                else:
                    ok = (i, j) == _ref_trim_bounds(t)
            else:  # STARTS_WITH
                if punct:
                    ok = i == len(t) - len(t.lstrip())
                else:
                    ok = i == _ref_trim_bounds(t)[0] and not glued(after, keyword[-1])
            if ok:
                start, end = hay.span(i, j)
                results.add(KeywordMatch(spec.key, spec.text, start, end))
    return results


TEXT_ALPHABET = list(
    "abcABC  ..!?1_"
    "áàÁệĐđơ\u0301\u0300\u0323"  # Vietnamese: precomposed and combining accents
    "řŘůčß"  # Czech / German
    "กขาำไ\u0e48\u0e38\u0e4d"  # Thai: letters, SARA AM, tone mark, vowel below, NIKHAHIT
    "中カ🙂❤\ufe0f"
)
KEYWORD_ALPHABET = list("abcAáàĐđ\u0301řčß กาำ\u0e48!🙂中")

_case_variants = [
    lambda s: s,
    str.upper,
    str.lower,
    nfd,
    lambda s: unicodedata.normalize("NFC", s),
    fold_accents,
]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_matcher_agrees_with_a_naive_reference_matcher(data):
    text = data.draw(st.text(alphabet=TEXT_ALPHABET, max_size=30), label="text")
    specs = []
    for _ in range(data.draw(st.integers(1, 8), label="n")):
        if text and data.draw(st.booleans()):
            a = data.draw(st.integers(0, len(text) - 1))
            b = data.draw(st.integers(a + 1, min(len(text), a + 5)))
            keyword = data.draw(st.sampled_from(_case_variants))(text[a:b])
        else:
            keyword = data.draw(st.text(alphabet=KEYWORD_ALPHABET, min_size=1, max_size=4))
        specs.append(
            KeywordSpec(
                key=data.draw(st.integers(0, 3)),
                text=keyword,
                mode=data.draw(st.sampled_from(list(MatchMode))),
                accent_insensitive=data.draw(st.booleans()),
            )
        )
    got = KeywordMatcher(specs).find(text)
    assert len(got) == len(set(got)), "no duplicate matches"
    assert got == sorted(got, key=lambda m: (m.end, m.start))
    assert Counter(got) == Counter(reference_find(specs, text))


@pytest.mark.parametrize(
    "text",
    ["", " ", "\u0301", "ß", "a\u0301\u0301", "ก\u0e48\u0e38", "\u0e4d\u0e32", "❤\ufe0f"],
)
def test_edge_texts_do_not_crash(text):
    specs = [KeywordSpec(m.value, "a", m) for m in MatchMode]
    assert Counter(KeywordMatcher(specs).find(text)) == Counter(reference_find(specs, text))


def test_find_answers_named_tuples_with_offsets_into_the_original_text():
    m = KeywordMatcher([KeywordSpec("price", "giá")])
    (match,) = m.find("Cho mình hỏi GIÁ ạ")
    assert isinstance(match, KeywordMatch)
    assert (match.key, match.keyword, match.start, match.end) == ("price", "giá", 13, 16)
    assert m.find("") == [] and m.matched_keys("") == set()


# Everything the normalisation treats differently: ASCII, Latin-1, precomposed and
# combining Vietnamese, Czech, Thai with tone marks, NIKHAHIT and SARA AA, ß / İ / ﬁ / the
# Angstrom sign (special), Greek sigma, Cyrillic, Hangul syllables and jamo, CJK, Devanagari
# nukta, Tibetan vowel signs, emoji with variation selectors and ZWJ.
MIXED_ALPHABET = list(
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
)
SHOP_WORDS = str.split(
    "giá bao nhiêu thanh toán chuyển khoản ship cod order price PAYMENT ราคา เท่าไหร่ "
    "โอน น้ำ ส่งฟรี cena platba dobírka harga bayar 🔥 ❤️ #sale ? ok ß straße İstanbul "
    "z\u0303 Z\u0303oo"  # a mark NFC cannot compose: accent folding deletes it
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_shop_like_messages_agree_with_the_naive_reference(data):
    """Shop-like messages (mixed scripts, upper case, NFD, punctuation) and keyword sets of
    every mode, with and without accents."""
    words = [
        data.draw(st.sampled_from(SHOP_WORDS + MIXED_ALPHABET))
        for _ in range(data.draw(st.integers(1, 25)))
    ]
    text = " ".join(words)
    form = data.draw(st.sampled_from(["as is", "upper", "NFD", "NFC"]))
    if form == "upper":
        text = text.upper()
    elif form != "as is":
        text = unicodedata.normalize(form, text)
    specs = [
        KeywordSpec(
            key=data.draw(st.integers(0, 6)),
            text=data.draw(st.sampled_from(SHOP_WORDS)),
            mode=data.draw(st.sampled_from(list(MatchMode))),
            accent_insensitive=data.draw(st.booleans()),
        )
        for _ in range(data.draw(st.integers(1, 12)))
    ]
    matcher = KeywordMatcher(specs)
    got = matcher.find(text)
    assert Counter(got) == Counter(reference_find(specs, text))
    assert got == sorted(got, key=lambda m: (m.end, m.start))
    assert matcher.matched_keys(text) == {m.key for m in got}


def marked_letters(marks_each: int) -> list[str]:
    """Distinct clusters: a Latin or Cyrillic letter and two combining marks."""
    bases = [chr(c) for c in range(0x61, 0x7B)] + [chr(c) for c in range(0x430, 0x450)]
    marks = [chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))]
    firsts, seconds = marks[:marks_each], marks[marks_each : 2 * marks_each]
    return [b + m1 + m2 for b in bases for m1 in firsts for m2 in seconds]


def test_threads_share_the_cluster_cache_safely():
    """Web and worker threads scan at once; the cache of normalised clusters is process-wide
    and reset when full. Distinct NFD texts (misses, resets) from four threads give the same
    matches as one thread."""
    from concurrent.futures import ThreadPoolExecutor

    words = marked_letters(30)
    texts = [" ".join(words[i : i + 60]) + " Giá thanh toán" for i in range(0, 30000, 60)]
    specs = [KeywordSpec("price", "giá"), KeywordSpec("pay", "thanh toan", accent_insensitive=True)]
    matcher = KeywordMatcher(specs)
    expected = [matcher.find(text) for text in texts]
    assert all(len(found) == 2 for found in expected)
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(matcher.find, texts)) == expected
