"""Lookups remembered for one processing pass (a batch of webhook events in one transaction).

A tenant's rules, automation settings, TikTok Ads connection, CRM subscriptions and keyword
versions do not change within the few milliseconds of a pass, but the per-event code asks for
them once per message: inside a pass (``memo_scope``) each is read once per tenant; outside
one (a request, a single task) ``memo`` just calls the function, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_local = threading.local()


@contextmanager
def memo_scope() -> Iterator[None]:
    previous = getattr(_local, "memo", None)
    _local.memo = {} if previous is None else previous
    try:
        yield
    finally:
        _local.memo = previous


def memo(key: Hashable, build: Callable[[], T]) -> T:
    store = getattr(_local, "memo", None)
    if store is None:
        return build()
    if key not in store:
        store[key] = build()
    return store[key]
