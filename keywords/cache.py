"""The process-local cache of built matchers: one per cache key (e.g. a tenant's rules),
kept while its version is unchanged.

Where the version comes from is the caller's business (Parley reads it from the Django cache:
``inbox/automation/keyword_versions.py``); here it is only compared for equality.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from .matcher import KeywordMatcher, KeywordSpec

__all__ = ["clear_matcher_cache", "get_matcher"]

_CACHE_SIZE = 512
_cache: OrderedDict[str, tuple[object, KeywordMatcher]] = OrderedDict()
_cache_lock = threading.Lock()


def get_matcher(
    cache_key: str, version: object, build: Callable[[], Iterable[KeywordSpec]]
) -> KeywordMatcher:
    """The matcher for ``cache_key``, rebuilt when ``version`` differs from the one it was
    built for. ``build`` is called only on a miss. A bounded LRU, so a worker serving many
    tenants does not grow without limit."""
    with _cache_lock:
        hit = _cache.get(cache_key)
        if hit is not None and hit[0] == version:
            _cache.move_to_end(cache_key)
            return hit[1]
    matcher = KeywordMatcher(build())  # built outside the lock: may take a moment
    with _cache_lock:
        _cache[cache_key] = (version, matcher)
        _cache.move_to_end(cache_key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return matcher


def clear_matcher_cache() -> None:
    with _cache_lock:
        _cache.clear()
