"""``load_recent`` moves a fixture to "now" so tests that reply after it keep working as the
calendar moves on (the fixtures' fixed dates once closed Messenger's 7-day window in CI)."""

import json

import pytest

from tests.providers.helpers import (
    FIXTURE_EPOCH,
    FIXTURE_SPAN_SECONDS,
    TIME_KEYS,
    all_fixtures,
    load,
    load_recent,
)

NOW = 1_900_000_000.75  # 2030-03-17, a fraction of a second in


def _times(node, key=None):
    """Every number in the payload that looks like a moment, with the key it sits under."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "content" and isinstance(v, str) and v.startswith("{"):
                v = json.loads(v)
            yield from _times(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _times(item, key)
    elif isinstance(node, int | str) and str(node).isdigit():
        number = int(node)
        seconds = number / 1000 if number > FIXTURE_EPOCH * 100 else number
        if abs(seconds - FIXTURE_EPOCH) < 10 * 365 * 86400:
            yield key, seconds


@pytest.mark.parametrize(("provider", "name"), all_fixtures())
def test_every_moment_in_a_fixture_is_one_load_recent_moves(provider, name):
    moments = list(_times(load(provider, name)))
    assert moments, "every provider payload carries a time"
    for key, seconds in moments:
        assert key in TIME_KEYS, f"{key} holds a time that load_recent would not move"
        assert FIXTURE_EPOCH - 60 <= seconds <= FIXTURE_EPOCH + FIXTURE_SPAN_SECONDS


@pytest.mark.parametrize(("provider", "name"), all_fixtures())
def test_a_recent_fixture_lies_in_the_last_minutes_in_the_same_order(provider, name):
    before = [s for _, s in _times(load(provider, name))]
    after = [s for _, s in _times(load_recent(provider, name, now=NOW))]
    assert all(NOW - FIXTURE_SPAN_SECONDS - 61 <= s <= NOW for s in after)
    assert [b - a for a, b in zip(before, before[1:])] == pytest.approx(
        [b - a for a, b in zip(after, after[1:])]
    )


def test_the_wire_types_are_kept():
    whatsapp = load_recent("whatsapp", "message_text", now=NOW)
    assert isinstance(whatsapp["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"], str)
    tiktok = load_recent("tiktok", "im_receive_msg_text", now=NOW)
    assert isinstance(tiktok["create_time"], int) and isinstance(tiktok["content"], str)
    assert json.loads(tiktok["content"])["text"]["body"] == "Xin chào! Áo này còn size M không?"
