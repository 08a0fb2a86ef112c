import pytest

from inbox.commerce.extract import (
    extract_addresses,
    extract_phones,
    normalize_phone,
    region_for_timezone,
    suggestions_from_messages,
)


@pytest.mark.parametrize(
    ("text", "region", "e164", "country"),
    [
        # Thailand
        ("โทร 081-234-5678 ค่ะ", None, "+66812345678", "TH"),
        ("call me +66 81 234 5678", None, "+66812345678", "TH"),
        ("+66 (0)81 234 5678", None, "+66812345678", "TH"),
        ("เบอร์ ๐๘๑๒๓๔๕๖๗๘", "TH", "+66812345678", "TH"),  # Thai digits
        ("office 02-123-4567", "TH", "+6621234567", "TH"),
        ("0066812345678", None, "+66812345678", "TH"),
        # Vietnam
        ("sdt: 0912 345 678 nhé", "VN", "+84912345678", "VN"),
        ("+84 912-345-678", None, "+84912345678", "VN"),
        ("84 (0) 35 123 4567", None, "+84351234567", "VN"),
        ("gọi 0351234567", None, "+84351234567", "VN"),  # 03x only exists in Vietnam
        ("bàn 024 3826 1234", None, "+842438261234", "VN"),
        # Indonesia
        ("WA saya 0812-3456-7890", None, "+6281234567890", "ID"),
        ("+62 812 3456 7890", None, "+6281234567890", "ID"),
        ("hp 0813.1234.567", "ID", "+628131234567", "ID"),
        ("kantor (021) 5555 1234", "ID", "+622155551234", "ID"),
    ],
)
def test_phone_numbers_in_thai_vietnamese_and_indonesian_formats(text, region, e164, country):
    found = extract_phones(text, region)
    assert [(p.e164, p.country) for p in found] == [(e164, country)]


def test_an_ambiguous_national_number_follows_the_tenants_region():
    assert normalize_phone("0812345678", "TH").e164 == "+66812345678"
    assert normalize_phone("0812345678", "VN").e164 == "+84812345678"
    assert normalize_phone("0812345678").country == "TH"  # no hint: TH, VN, ID order


@pytest.mark.parametrize(
    "text",
    [
        "Harga 1.250.000",
        "order 20240512 ok",
        "total 149000 VND",
        "see you at 10:30 on 2030-01-05",
        "tracking TH12345678901",
        "+1 415 555 0100",  # not a country we parse
        "0123",
    ],
)
def test_prices_dates_and_ids_are_not_phone_numbers(text):
    assert extract_phones(text, "TH") == []


def test_several_numbers_are_found_once_each():
    text = "0812345678 or +66 81 234 5678, backup 0898765432"
    assert [p.e164 for p in extract_phones(text, "TH")] == ["+66812345678", "+66898765432"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "ที่อยู่: 99/1 ซอยสุขุมวิท 24 แขวงคลองตัน เขตคลองเตย กรุงเทพฯ 10110",
            "99/1 ซอยสุขุมวิท 24 แขวงคลองตัน เขตคลองเตย กรุงเทพฯ 10110",
        ),
        (
            "Địa chỉ: 12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
            "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        ),
        (
            "Alamat: Jl. Sudirman No. 5, RT 02/RW 03, Kec. Tanah Abang, Jakarta 10220",
            "Jl. Sudirman No. 5, RT 02/RW 03, Kec. Tanah Abang, Jakarta 10220",
        ),
        (
            "Send to 45 Moo 3, Soi 5, Chiang Mai 50000, tel 0812345678",
            "45 Moo 3, Soi 5, Chiang Mai 50000",
        ),
    ],
)
def test_addresses_are_found_and_cleaned(text, address):
    assert extract_addresses(text) == [address]


@pytest.mark.parametrize(
    "text",
    ["Hi can I get 2 of these please?", "ok thanks see you at 10:30 tomorrow", "ราคาเท่าไหร่คะ"],
)
def test_chatter_is_not_an_address(text):
    assert extract_addresses(text) == []


def test_an_address_on_one_line_of_a_longer_message():
    text = "Hello!\nPlease ship to:\n88 Đường Lê Lợi, Phường 7, Quận 3, TP.HCM\nthanks"
    assert extract_addresses(text) == ["88 Đường Lê Lợi, Phường 7, Quận 3, TP.HCM"]


def test_suggestions_merge_messages_newest_first_without_duplicates():
    found = suggestions_from_messages(
        [
            "my new number 0898765432",
            "ship to 45 Moo 3, Soi 5, Chiang Mai 50000",
            "0812345678",
            "call 081-234-5678",
        ],
        region="TH",
    )
    assert [p.e164 for p in found["phones"]] == ["+66898765432", "+66812345678"]
    assert found["addresses"] == ["45 Moo 3, Soi 5, Chiang Mai 50000"]


def test_region_from_the_tenants_timezone():
    assert region_for_timezone("Asia/Bangkok") == "TH"
    assert region_for_timezone("Asia/Ho_Chi_Minh") == "VN"
    assert region_for_timezone("Asia/Jakarta") == "ID"
    assert region_for_timezone("Europe/Paris") is None
