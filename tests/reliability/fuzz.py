"""Hypothesis strategies that mutate real provider payloads (the fixtures) into hostile ones.

A mutation picks one place in the JSON tree of a real payload and does something rude to it:
drops it, replaces it with a value of another type, a huge string, deeply nested JSON, a number
written as a string, … For TikTok the tree includes the *decoded* ``content`` (a JSON string
inside the envelope) and the content string itself can be replaced with something that is not
JSON at all.

Pure Python, no Django.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.providers.helpers import FIXTURES

PROVIDERS = ("tiktok", "whatsapp", "messenger", "instagram", "line", "zalo")

# Modest and deterministic: CI runs the same examples every time, in a few seconds.
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CONTENT = "<content>"  # path marker: descend into TikTok's JSON-in-a-string content


def fixtures(provider: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / provider).glob("*.json"))]


FIXTURE_PAYLOADS = {p: fixtures(p) for p in PROVIDERS}


def _decoded(payload: Any) -> Any:
    """The payload with TikTok's ``content`` string decoded (so mutations can reach inside)."""
    if isinstance(payload, dict) and isinstance(payload.get("content"), str):
        try:
            inner = json.loads(payload["content"])
        except ValueError:
            return payload
        payload = dict(payload)
        payload["content"] = {CONTENT: inner}
    return payload


def _encoded(tree: Any) -> Any:
    """Inverse of ``_decoded``: re-serialise a mutated decoded content."""
    if (
        isinstance(tree, dict)
        and isinstance(tree.get("content"), dict)
        and CONTENT in tree["content"]
    ):
        tree = dict(tree)
        inner = tree["content"][CONTENT]
        try:
            tree["content"] = json.dumps(inner, ensure_ascii=False)
        except (ValueError, RecursionError):  # absurdly deep: keep the object itself
            tree["content"] = inner
    return tree


def paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to every node (dict keys and list indexes), the root excluded."""
    out = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.append((*prefix, key))
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out.append((*prefix, i))
            out.extend(paths(value, (*prefix, i)))
    return out


def _parent(tree: Any, path: tuple) -> Any:
    node = tree
    for step in path[:-1]:
        node = node[step]
    return node


def deep(depth: int, leaf: Any = 1, kind: str = "list") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


# Values of "the wrong type", chosen to hit what parsers assume about a field.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "1e400", "NaN", "inf", "١٢٣", "²", "null", "{}", "[]"]),
)
hostile_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
    st.just("x" * 200_000),  # a huge string
    st.just("😀\u0000" * 10_000),  # astral characters and NUL
    # Deep, but below the recursion limit of the strategy itself (whole-body depth is tested
    # separately, as JSON text).
    st.builds(deep, st.integers(min_value=50, max_value=300), st.just(1), st.just("list")),
    st.builds(deep, st.integers(min_value=50, max_value=300), st.just(1), st.just("dict")),
)


def _number_as_string(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


@st.composite
def mutated_payload(draw, provider: str, kinds=("drop", "leaf", "numstr", "dup")) -> Any:
    """A real payload of ``provider`` with 1–3 rude mutations.

    Kinds: ``drop`` a key or list item; ``leaf`` replace a scalar (string, number, …) by a
    hostile value of any type; ``node`` replace an object or list by a hostile value (e.g. the
    ``text`` object by a string); ``numstr`` numbers as strings and back; ``dup`` duplicate a
    list item.
    """
    tree = copy.deepcopy(_decoded(draw(st.sampled_from(FIXTURE_PAYLOADS[provider]))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(kinds))
        candidates = paths(tree)
        if kind in ("leaf", "node"):
            containers = kind == "node"
            candidates = [
                p
                for p in candidates
                if isinstance(_parent(tree, p)[p[-1]], dict | list) == containers
                and p[-1] != CONTENT
            ]
        if not candidates:
            continue
        path = draw(st.sampled_from(candidates))
        parent = _parent(tree, path)
        key = path[-1]
        if key == CONTENT and kind == "drop":
            kind = "leaf"
        if kind == "drop":
            del parent[key]
        elif kind in ("leaf", "node"):
            parent[key] = draw(hostile_values)
        elif kind == "numstr":
            parent[key] = _number_as_string(parent[key])
        elif kind == "dup" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return _encoded(tree)


# TikTok's content: something that is not a JSON-object string.
bad_tiktok_content = st.one_of(
    hostile_values,
    st.text(max_size=50),
    st.sampled_from(["", "{", "[]", "null", "1", '"x"', "{'a': 1}", "\x00", "{}" * 100]),
    st.builds(lambda d: "[" * d + "]" * d, st.integers(min_value=500, max_value=200_000)),
    st.builds(lambda d: '{"a":' * d + "1" + "}" * d, st.integers(min_value=500, max_value=200_000)),
)


def invalid_utf8_body(raw: bytes, data: st.DataObject) -> bytes:
    """Insert bytes that are not UTF-8 somewhere in a real body."""
    junk = data.draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xf8\x88\x80\x80", b"\xc0\xaf"]))
    at = data.draw(st.integers(min_value=0, max_value=len(raw)))
    return raw[:at] + junk + raw[at:]
