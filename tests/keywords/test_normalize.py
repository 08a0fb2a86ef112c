"""Normalisation for the keyword engine: pure Python, no database."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from keywords import normalize as nz
from keywords.normalize import (
    NO_SPACE_WORD,
    NON_WORD,
    WORD,
    char_class,
    fold_accents,
    fold_with_offsets,
    is_word_char,
    normalize,
    normalize_folded,
    normalize_with_offsets,
    trim_bounds,
)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def test_it_case_folds_and_composes():
    assert normalize("PLATBA") == "platba"
    assert normalize("Straße") == "strasse"
    assert normalize(nfd("Thanh Toán")) == "thanh toán"
    assert normalize(nfd("Příliš ŽLUŤOUČKÝ")) == "příliš žluťoučký"
    assert normalize("HARGA") == "harga"


def test_nfd_and_nfc_input_normalise_identically():
    for word in ["Thanh toán", "Đặt hàng", "Objednávka", "Příliš", "ราคาเท่าไหร่", "Ölçü"]:
        assert normalize(nfd(word)) == normalize(word)
        assert normalize(unicodedata.normalize("NFC", word)) == normalize(word)


def test_it_keeps_thai_sara_am_instead_of_applying_nfkc():
    # NFKC would rewrite SARA AM (U+0E33) as NIKHAHIT + SARA AA.
    assert unicodedata.normalize("NFKC", "ทำ") != "ทำ"
    assert normalize("ทำ") == "ทำ"
    assert "\u0e33" in normalize("น้ำ")


def test_nikhahit_plus_sara_aa_is_read_as_sara_am():
    typed = "\u0e19\u0e49\u0e4d\u0e32"  # น ้ ํ า — looks exactly like น้ำ
    assert normalize(typed) == normalize("น้ำ")
    assert normalize("\u0ec0\u0ea5\u0ecd\u0eb2") == normalize("\u0ec0\u0ea5\u0eb3")  # Lao


def test_thai_marks_are_put_in_canonical_order():
    # Tone mark typed before the vowel below; NFC reorders (ccc 107 after ccc 103).
    typed = "\u0e01\u0e48\u0e38"
    canonical = "\u0e01\u0e38\u0e48"
    assert normalize(typed) == normalize(canonical)


def test_variation_selectors_are_ignored():
    assert normalize("❤️") == normalize("❤") == "❤"
    assert normalize("☺︎ ok") == "☺ ok"


def test_accent_folding_strips_latin_greek_cyrillic_diacritics():
    assert normalize_folded("Thanh toán") == "thanh toan"
    assert normalize_folded("ĐẶT HÀNG") == "dat hang"
    assert normalize_folded(nfd("Đặt hàng")) == "dat hang"
    assert normalize_folded("Příliš žluťoučký kůň") == "prilis zlutoucky kun"
    assert normalize_folded("ΆΈΉ") == "αεη"
    assert normalize_folded("Ёлка") == "елка"
    assert normalize_folded("Łódź") == "lodz"


def test_accent_folding_never_touches_thai_lao_khmer_marks():
    for word in ["ไม่", "ที่นี่", "น้ำ", "ເມືອງ", "ខ្ញុំ", "ကျေးဇူး"]:
        assert fold_accents(normalize(word)) == normalize(word)


def test_accent_folding_of_precomposed_letters_keeps_the_length():
    text = normalize("Tiếng Việt có dấu: ắằẳẵặ đ Ř ů")
    assert len(fold_accents(text)) == len(text)


def test_accent_folding_drops_combining_marks_that_do_not_compose():
    assert normalize_folded("q\u0303 x") == "q x"


def test_ascii_and_nfc_text_have_no_offset_map():
    assert normalize_with_offsets("Hello WORLD").starts is None
    assert normalize_with_offsets("Xin chào, giá bao nhiêu?").starts is None
    assert normalize_with_offsets("สวัสดีค่ะ ราคาเท่าไหร่").starts is None


def test_offsets_point_back_into_nfd_text():
    original = nfd("Giá: 50k")  # "Gia" + U+0301 + ": 50k"
    result = normalize_with_offsets(original)
    assert result.text == "giá: 50k"
    start, end = result.span(0, 3)
    assert original[start:end] == nfd("Giá")
    start, end = result.span(5, 8)
    assert original[start:end] == "50k"


def test_offsets_through_length_changing_case_folds():
    original = "Große GRÖSSE"
    result = normalize_with_offsets(original)
    assert result.text == "grosse grösse"
    assert original.__getitem__(slice(*result.span(0, 6))) == "Große"
    assert original.__getitem__(slice(*result.span(7, 13))) == "GRÖSSE"


def test_fold_offsets_compose_with_normalisation_offsets():
    original = nfd("Thanh TOÁN") + "q\u0303!"
    result = fold_with_offsets(normalize_with_offsets(original))
    assert result.text == "thanh toanq!"
    assert original.__getitem__(slice(*result.span(6, 10))) == nfd("TOÁN")
    assert original.__getitem__(slice(*result.span(10, 11))) == "q\u0303"


def test_character_classes():
    assert char_class("a") == WORD
    assert char_class("á") == WORD
    assert char_class("7") == WORD
    assert char_class("\u0301") == WORD  # a mark glues to its word
    assert char_class("ก") == NO_SPACE_WORD
    assert char_class("\u0e48") == NO_SPACE_WORD  # Thai tone mark (Mn)
    assert char_class("中") == NO_SPACE_WORD
    assert char_class("カ") == NO_SPACE_WORD
    assert char_class("ມ") == NO_SPACE_WORD
    assert char_class("က") == NO_SPACE_WORD
    assert char_class("ក") == NO_SPACE_WORD
    assert char_class("한") == WORD  # Korean is written with spaces
    assert char_class(" ") == NON_WORD
    assert char_class("_") == NON_WORD
    assert char_class("🙂") == NON_WORD
    assert not is_word_char("!")


def test_trim_bounds():
    assert trim_bounds("  Hi!! ") == (2, 4)
    assert trim_bounds("\u200bok\n") == (1, 3)
    assert trim_bounds("?!") == (2, 2)
    assert trim_bounds("🙂") == (0, 1)


def test_the_no_boundary_table_matches_this_pythons_unicode_data():
    expected = set()
    for cp in range(0x110000):
        ch = chr(cp)
        if unicodedata.combining(ch):
            continue
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2 and not unicodedata.combining(chr(int(parts[1], 16))):
                expected.add(chr(int(parts[1], 16)))
        if unicodedata.combining(unicodedata.normalize("NFD", ch)[0]):
            expected.add(ch)
    expected |= {chr(cp) for cp in range(0x1161, 0x1176)}  # Hangul medial vowels
    expected |= {chr(cp) for cp in range(0x11A8, 0x11C3)}  # Hangul final consonants
    assert expected <= nz._NO_BOUNDARY


ALPHABET = list(
    "aAbBsS zZ.,!?1-_'"
    "áÁàệẾđĐơư\u0301\u0300\u0323\u0303"  # Vietnamese, precomposed and combining
    "řŘůŮčšžß"  # Czech, German
    "İıΣσς"  # case folding specials
    "กาำ\u0e48\u0e38\u0e4dไ"  # Thai incl. SARA AM, tone mark, NIKHAHIT
    "한\u1100\u1161\u11a8"  # Hangul syllable and conjoining jamo
    "🙂❤\ufe0f中"
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=25))
def test_offset_map_is_consistent(text):
    result = normalize_with_offsets(text)
    assert result.text == normalize(text)
    if result.starts is None:
        assert len(result.text) == len(text)
        return
    assert len(result.starts) == len(result.ends) == len(result.text)
    # Spans are non-decreasing, inside the text, and re-normalising them rebuilds the text.
    rebuilt = []
    previous = None
    for start, end in zip(result.starts, result.ends, strict=True):
        assert 0 <= start < end <= len(text)
        if (start, end) != previous:
            if previous is not None:
                assert start >= previous[1]
            rebuilt.append(normalize(text[start:end]))
            previous = (start, end)
    assert "".join(rebuilt) == result.text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=25))
def test_fold_with_offsets_agrees_with_fold_accents(text):
    result = fold_with_offsets(normalize_with_offsets(text))
    assert result.text == normalize_folded(text)
    if result.starts is not None:
        assert len(result.starts) == len(result.text)
        for start, end in zip(result.starts, result.ends, strict=True):
            assert 0 <= start < end <= len(text)


def test_fast_fold_string_table_agrees_with_the_fold_dict():
    for cp, target in nz._FOLD_TABLE.items():
        if target is not None:
            assert fold_accents(chr(cp)) == chr(target)
        else:
            assert fold_accents("a" + chr(cp)) == "a"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=25))
def test_only_expanding_normalisations_set_the_expanded_flag(text):
    result = normalize_with_offsets(text)
    if result.starts is not None and not result.expanded:
        spans = list(zip(result.starts, result.ends, strict=True))
        assert len(set(spans)) == len(spans), "a non-expanded map is injective"
