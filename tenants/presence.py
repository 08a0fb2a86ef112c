"""Who is online: a member who opened one of the business's pages in the last few minutes.

`tenant_view` marks the member seen (one cache write a minute at most per process and
member); the reports' live view reads it. The cache is shared by the web processes (Redis
in production); losing it only shows people offline until their next page.
"""

from __future__ import annotations

import time

from django.core.cache import cache

ONLINE_SECONDS = 5 * 60
_WRITE_EVERY = 60
_last_written: dict[tuple[int, int], float] = {}


def _key(tenant_id: int, user_id: int) -> str:
    return f"presence:{tenant_id}:{user_id}"


def member_seen(*, tenant_id: int, user_id: int, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if now - _last_written.get((tenant_id, user_id), 0) < _WRITE_EVERY:
        return
    try:
        cache.set(_key(tenant_id, user_id), now, ONLINE_SECONDS)
    except Exception:  # noqa: BLE001 (an unreadable cache shows people offline; never a 500)
        return
    if len(_last_written) > 10_000:
        _last_written.clear()
    _last_written[(tenant_id, user_id)] = now


def members_online(*, tenant_id: int, user_ids) -> dict[int, float]:
    """{user id: last seen (epoch seconds)} of the members seen in the last few minutes."""
    keys = {_key(tenant_id, u): u for u in user_ids}
    try:
        seen = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001
        return {}
    return {keys[k]: v for k, v in seen.items()}


def presence_forget() -> None:
    """Tests: forget which marks this process wrote."""
    _last_written.clear()
