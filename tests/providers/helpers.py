"""Fixture loading for provider tests (no Django)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"

TIKTOK_BUSINESS_ID = "-000bizParleyDemo0001"
TIKTOK_CUSTOMER_ID = "-000cUsTmr7Lina00042"
WHATSAPP_PHONE_ID = "106540352242922"
MESSENGER_PAGE_ID = "104857362918273"


def fixture_names(provider: str) -> list[str]:
    return sorted(p.stem for p in (FIXTURES / provider).glob("*.json"))


def all_fixtures() -> list[tuple[str, str]]:
    return [(p, n) for p in ("tiktok", "whatsapp", "messenger") for n in fixture_names(p)]


def load_raw(provider: str, name: str) -> bytes:
    """The fixture re-serialised compactly, as providers send it."""
    data = json.loads((FIXTURES / provider / f"{name}.json").read_text())
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def load(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())
