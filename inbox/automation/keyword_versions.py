"""Which version of a tenant's keywords a process's cached matcher must have, through the
Django cache (Redis in production, shared by every web and worker process).

Checking costs one cache read per message instead of a database query; the automaton itself
stays in the process (``keywords.get_matcher``). A service that changes keywords calls
``keywords_changed`` in its transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

from inbox.pass_memo import memo
from keywords import KeywordMatcher, KeywordSpec, get_matcher

log = logging.getLogger(__name__)

# Scopes: each has its own matcher per tenant.
AUTOMATION = "automation"  # the keywords of the auto-reply rules
SIGNALS = "signals"  # TikTok signal keywords


def _key(scope: str, tenant_id: int) -> str:
    return f"keywords:version:{scope}:{tenant_id}"


def _new_version() -> str:
    return uuid.uuid4().hex


def keywords_version(*, scope: str, tenant_id: int) -> str:
    """The current version. A key the cache lost (evicted, flushed) gets a fresh version, so
    every process rebuilds once rather than trusting what it holds."""
    key = _key(scope, tenant_id)
    try:
        version = cache.get(key)
        if version is None:
            cache.add(key, _new_version(), timeout=None)
            version = cache.get(key)  # another process may have added its own first
    except Exception:
        log.warning("keyword version unreadable, rebuilding the matcher", exc_info=True)
        version = None
    return version or _new_version()


def _bump(key: str) -> None:
    try:
        cache.set(key, _new_version(), timeout=None)
    except Exception:
        log.error("keyword version not bumped: processes may match old keywords", exc_info=True)


def keywords_changed(*, scope: str, tenant_id: int) -> None:
    """Call inside the transaction that changed the keywords. The version changes now (this
    process sees its own change at once) and again once committed, so a process that rebuilt
    from the rows before the commit does not keep that matcher."""
    key = _key(scope, tenant_id)
    _bump(key)
    transaction.on_commit(lambda: _bump(key))


def cached_matcher(
    *, scope: str, tenant_id: int, build: Callable[[], Iterable[KeywordSpec]]
) -> KeywordMatcher:
    """The process's matcher for the tenant's keywords, rebuilt (by ``build``) only when the
    version in the cache has changed."""
    version = memo(
        ("keywords_version", scope, tenant_id),
        lambda: keywords_version(scope=scope, tenant_id=tenant_id),
    )
    return get_matcher(f"{scope}:{tenant_id}", version, build)
