"""The countries a business can be in, for reading phone numbers typed without a country code.

A business's country tells how its agents and customers write a local number: "0912 345 678"
in Vietnam is +84 912 345 678 (the leading 0 is the national trunk prefix, dropped after the
country code). Names are written in the country's own language, as the language switcher does.
"""

from __future__ import annotations

from typing import NamedTuple


class Country(NamedTuple):
    name: str
    calling_code: str
    trunk_prefix: str  # dialled before a national number, dropped after the calling code


COUNTRIES: dict[str, Country] = {
    "VN": Country("Việt Nam", "84", "0"),
    "TH": Country("ประเทศไทย", "66", "0"),
    "ID": Country("Indonesia", "62", "0"),
    "MY": Country("Malaysia", "60", "0"),
    "PH": Country("Pilipinas", "63", "0"),
    "SG": Country("Singapore", "65", ""),
    "JP": Country("日本", "81", "0"),
    "CZ": Country("Česko", "420", ""),
    "ES": Country("España", "34", ""),
    "MX": Country("México", "52", ""),
    "GB": Country("United Kingdom", "44", "0"),
    "US": Country("United States", "1", ""),
}

COUNTRY_CHOICES = [
    (code, f"{country.name} (+{country.calling_code})") for code, country in COUNTRIES.items()
]

# The country a new business is most likely in, from the timezone it chose.
TIMEZONE_COUNTRIES = {
    "Asia/Ho_Chi_Minh": "VN",
    "Asia/Saigon": "VN",
    "Asia/Bangkok": "TH",
    "Asia/Jakarta": "ID",
    "Asia/Pontianak": "ID",
    "Asia/Makassar": "ID",
    "Asia/Jayapura": "ID",
    "Asia/Kuala_Lumpur": "MY",
    "Asia/Kuching": "MY",
    "Asia/Manila": "PH",
    "Asia/Singapore": "SG",
    "Asia/Tokyo": "JP",
    "Europe/Prague": "CZ",
    "Europe/Madrid": "ES",
    "Atlantic/Canary": "ES",
    "America/Mexico_City": "MX",
    "Europe/London": "GB",
    "America/New_York": "US",
    "America/Chicago": "US",
    "America/Denver": "US",
    "America/Los_Angeles": "US",
}


def country_for_timezone(timezone_name: str) -> str:
    return TIMEZONE_COUNTRIES.get(timezone_name or "", "")
