"""Fixture loading for provider tests (no Django)."""

from __future__ import annotations

import json
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"

TIKTOK_BUSINESS_ID = "-000bizParleyDemo0001"
TIKTOK_CUSTOMER_ID = "-000cUsTmr7Lina00042"
WHATSAPP_PHONE_ID = "106540352242922"
WHATSAPP_WABA_ID = "102290129340398"
MESSENGER_PAGE_ID = "104857362918273"
INSTAGRAM_ACCOUNT_ID = "17841405793187218"
INSTAGRAM_CUSTOMER_ID = "1307142680348291"
INSTAGRAM_PAGE_ID = "104857362918299"  # the Facebook Page linked to it (Page flavour)
LINE_DESTINATION = "U4af4980629a1b2c3d4e5f60718293a4b"  # the bot's user id in the fixtures
ZALO_OA_ID = "4318205724013512345"
ZALO_USER_ID = "2512523625412515"
TIKTOK_VIDEO_ID = "7311982046123456789"
TIKTOK_COMMENT_ID = "7311990183472635904"
FACEBOOK_POST_ID = "104857362918273_122101234567890"
FACEBOOK_COMMENT_ID = "122101234567890_981234567890123"
FACEBOOK_COMMENTER_ID = "9123456789012345"

# Every fixture happens within a few minutes after this moment (2026-11-22 05:20 UTC).
FIXTURE_EPOCH = 1795324800
FIXTURE_SPAN_SECONDS = 600
TIME_KEYS = frozenset(
    {"time", "timestamp", "create_time", "created_time", "last_read_timestamp", "watermark"}
)


def fixture_names(provider: str) -> list[str]:
    return sorted(p.stem for p in (FIXTURES / provider).glob("*.json"))


def all_fixtures() -> list[tuple[str, str]]:
    """Every fixture of every provider that has a fixture folder."""
    providers = sorted(d.name for d in FIXTURES.iterdir() if d.is_dir())
    return [(p, n) for p in providers for n in fixture_names(p)]


def load_raw(provider: str, name: str) -> bytes:
    """The fixture re-serialised compactly, as providers send it."""
    return _wire(load(provider, name))


def load(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


def load_recent(provider: str, name: str, *, now: float | None = None) -> dict:
    """The fixture as if it were happening now: every provider timestamp moves by the same
    amount, so the fixture's moments keep their order and all lie in the last ten minutes.

    Tests that post a fixture and then reply need this: the fixtures' fixed dates would
    otherwise fall outside the providers' reply windows a few days after they were written.
    """
    now = time.time() if now is None else now
    # Whole seconds, so a time in seconds and one in milliseconds keep their order.
    return _shifted(load(provider, name), int(now) - FIXTURE_EPOCH - FIXTURE_SPAN_SECONDS)


def load_recent_raw(provider: str, name: str, *, now: float | None = None) -> bytes:
    return _wire(load_recent(provider, name, now=now))


def _wire(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _shifted(node, seconds: int):
    if isinstance(node, list):
        return [_shifted(item, seconds) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: _shifted_field(key, value, seconds) for key, value in node.items()}


def _shifted_field(key: str, value, seconds: int):
    if key in TIME_KEYS:
        return _shifted_time(value, seconds)
    if key == "content" and isinstance(value, str) and value.startswith("{"):
        # TikTok sends the message itself as a JSON string inside the event.
        inner = _shifted(json.loads(value), seconds)
        return json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
    return _shifted(value, seconds)


def _shifted_time(value, seconds: int):
    number = int(value)
    in_milliseconds = number > FIXTURE_EPOCH * 100
    moved = number + (seconds * 1000 if in_milliseconds else seconds)
    return str(moved) if isinstance(value, str) else moved
