"""Sending one Web Push message (RFC 8030), encrypted for the subscription (RFC 8291,
aes128gcm) and signed with our VAPID key (RFC 8292), through pywebpush."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from pywebpush import WebPushException, webpush

from .vapid import vapid_claims, vapid_key

# Notifications about a customer message are pointless after a day.
TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PushResult:
    status: int  # the push service's HTTP status; 0 when it could not be reached
    detail: str = ""

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """Unreachable, throttled or failing for now: worth another try later."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def subscription_gone(self) -> bool:
        """404/410: the browser unsubscribed or the subscription expired — forget it."""
        return self.status in (404, 410)


def push_send(*, endpoint: str, p256dh: str, auth: str, payload: dict) -> PushResult:
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=vapid_key(),
            vapid_claims=vapid_claims(),
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            timeout=settings.WEB_PUSH_TIMEOUT,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        return PushResult(status=status, detail=str(exc).splitlines()[0][:300])
    except Exception as exc:  # the push service unreachable, a timeout, a bad key
        return PushResult(status=0, detail=f"{type(exc).__name__}: {exc}"[:300])
    return PushResult(status=response.status_code)
