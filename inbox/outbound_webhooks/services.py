"""Outbound webhooks to CRMs: delivering events from Celery with signatures and retries, and
managing subscriptions.

Nothing here runs HTTP inside a request: an event is recorded through
`inbox.effects.webhook_event` (outbox rows in the caller's transaction, sent on commit);
`webhook_delivery_attempt` (the task) does the POST with short timeouts.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.outbound_webhooks.models import (
    EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    generate_secret,
)
from inbox.services.http import tls_context
from tenants.services import audit_log_record

log = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(hours=24)
DISABLE_AFTER = timedelta(hours=24)
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
LOCK_SECONDS = 60
USER_AGENT = "Parley-Webhooks/1.0"


# --- Signing ----------------------------------------------------------------------------------
def webhook_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Parley-Signature` value: `t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_verify(*, secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (docs/api.md shows the same in a CRM's own code)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = webhook_sign(secret=secret, timestamp=timestamp, body=body).split("v1=")[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (stable across retries)."""
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


# --- Delivering -------------------------------------------------------------------------------
# Events are emitted through `inbox.effects.webhook_event` (rows in the caller's transaction).


def _claim(delivery_id: int, now: datetime) -> bool:
    """Conditional update: only one worker attempts a delivery at a time."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, next_attempt_at__lte=now)
        .filter(
            Q(status=WebhookDelivery.Status.PENDING)
            | Q(status=WebhookDelivery.Status.DELIVERING, locked_until__lt=now)
        )
        .update(
            status=WebhookDelivery.Status.DELIVERING,
            locked_until=now + timedelta(seconds=LOCK_SECONDS),
        )
    )


class _Refused(Exception):
    pass


def _check_destination(url: str) -> None:
    """Refuse private, loopback and link-local targets unless allowed (SSRF guard)."""
    if settings.CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise _Refused(f"cannot resolve {host}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise _Refused("the URL points at a private address")


def _post(subscription: WebhookSubscription, delivery: WebhookDelivery, now: datetime):
    body = delivery_body(delivery)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Parley-Event": delivery.event_type,
        "X-Parley-Delivery": str(delivery.delivery_id),
        "X-Parley-Signature": webhook_sign(
            secret=subscription.secret, timestamp=timestamp, body=body
        ),
    }
    timeout = httpx.Timeout(
        settings.CRM_WEBHOOK_TIMEOUT, connect=min(3.0, settings.CRM_WEBHOOK_TIMEOUT)
    )
    _check_destination(subscription.url)
    with httpx.Client(timeout=timeout, follow_redirects=False, verify=tls_context()) as client:
        return client.post(subscription.url, content=body, headers=headers)


def webhook_delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """Try one delivery once (called by the task). Returns the new status, or None when the
    delivery was not due or another worker holds it."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription", "tenant").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        _finish(delivery, WebhookDelivery.Status.FAILED, error="subscription disabled")
        return delivery.status
    started = time.monotonic()
    status_code, error = None, ""
    try:
        response = _post(subscription, delivery, now)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except _Refused as exc:
        error = str(exc)
    except httpx.TimeoutException:
        error = "timed out"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}"
    duration_ms = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        tenant=delivery.tenant,
        delivery=delivery,
        attempted_at=now,
        status_code=status_code,
        error=error[:300],
        duration_ms=duration_ms,
    )
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:300]
    if not error:
        _finish(delivery, WebhookDelivery.Status.SUCCEEDED, delivered_at=now)
        if subscription.failing_since is not None:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)
        return delivery.status
    log.info(
        "webhook delivery %s to subscription %s failed: %s",
        delivery.delivery_id,
        subscription.pk,
        error,
    )
    _record_subscription_failure(subscription, now)
    if now - delivery.created_at >= RETRY_WINDOW:
        _finish(delivery, WebhookDelivery.Status.FAILED)
        return delivery.status
    delay = effects.backoff_seconds(
        delivery.attempts, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS
    )
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.locked_until = None
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "locked_until",
            "last_status_code",
            "last_error",
        ]
    )
    effects.task_on_commit(effects.OUTBOUND_WEBHOOK_DELIVER, delivery.pk, countdown=delay)
    return delivery.status


def _finish(delivery: WebhookDelivery, status: str, *, error: str = "", delivered_at=None):
    delivery.status = status
    delivery.locked_until = None
    delivery.delivered_at = delivered_at
    if error:
        delivery.last_error = error
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "locked_until",
            "delivered_at",
            "last_status_code",
            "last_error",
        ]
    )


def _record_subscription_failure(subscription: WebhookSubscription, now: datetime) -> None:
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if not subscription.is_active:
            return
        if subscription.failing_since is None:
            subscription.failing_since = now
            subscription.save(update_fields=["failing_since", "updated_at"])
            return
        if now - subscription.failing_since < DISABLE_AFTER:
            return
        subscription.is_active = False
        subscription.disabled_at = now
        subscription.disabled_reason = _("Every delivery failed for a day.")
        subscription.save(
            update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"]
        )
        audit_log_record(
            tenant=subscription.tenant,
            actor=None,
            action="webhook.disabled",
            target=subscription,
            details={
                "url": subscription.url,
                "failing_since": subscription.failing_since.isoformat(),
            },
        )
        WebhookDelivery.objects.filter(
            subscription=subscription, status=WebhookDelivery.Status.PENDING
        ).update(status=WebhookDelivery.Status.FAILED, last_error="subscription disabled")
    log.warning("webhook subscription %s disabled after a day of failures", subscription.pk)


def webhook_deliveries_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue due deliveries (lost from the broker, or whose worker died)."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(next_attempt_at__lte=now)
        .filter(
            Q(status=WebhookDelivery.Status.PENDING)
            | Q(status=WebhookDelivery.Status.DELIVERING, locked_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        effects.task_send(effects.OUTBOUND_WEBHOOK_DELIVER, delivery_id)
    return len(due)


# --- Managing subscriptions --------------------------------------------------------------------
def _clean_event_types(event_types) -> list[str]:
    chosen = sorted(set(event_types or []))
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"event_types": _("Unknown event types: %s") % ", ".join(unknown)})
    if not chosen:
        raise ValidationError({"event_types": _("Choose at least one event type.")})
    return chosen


def _clean_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Enter an http:// or https:// URL.")})
    if parts.scheme == "http" and not settings.CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        raise ValidationError({"url": _("Use an https:// URL.")})
    return url


@transaction.atomic
def webhook_subscription_create(
    *, tenant, actor, url: str, event_types, description: str = "", secret: str = ""
) -> WebhookSubscription:
    subscription = WebhookSubscription(
        tenant=tenant,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        description=description,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    subscription.secret = secret or generate_secret()
    subscription.save()
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="webhook.created",
        target=subscription,
        details={"url": subscription.url, "event_types": subscription.event_types},
    )
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor, **fields
) -> WebhookSubscription:
    changed = []
    if "url" in fields and fields["url"] != subscription.url:
        subscription.url = _clean_url(fields["url"])
        changed.append("url")
    if "event_types" in fields:
        event_types = _clean_event_types(fields["event_types"])
        if event_types != subscription.event_types:
            subscription.event_types = event_types
            changed.append("event_types")
    if "description" in fields and fields["description"] != subscription.description:
        subscription.description = fields["description"]
        changed.append("description")
    if "is_active" in fields and bool(fields["is_active"]) != subscription.is_active:
        subscription.is_active = bool(fields["is_active"])
        changed.append("is_active")
        if subscription.is_active:  # re-enabled: a fresh start
            subscription.failing_since = None
            subscription.disabled_at = None
            subscription.disabled_reason = ""
            changed += ["failing_since", "disabled_at", "disabled_reason"]
    if changed:
        subscription.save(update_fields=[*changed, "updated_at"])
        audit_log_record(
            tenant=subscription.tenant,
            actor=actor,
            action="webhook.updated",
            target=subscription,
            details={"fields": sorted(set(changed))},
        )
    return subscription


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription, actor) -> str:
    secret = generate_secret()
    subscription.secret = secret
    subscription.save(update_fields=["secret_encrypted", "updated_at"])
    audit_log_record(
        tenant=subscription.tenant,
        actor=actor,
        action="webhook.secret_rotated",
        target=subscription,
    )
    return secret


def webhook_subscription_delete(*, subscription: WebhookSubscription, actor) -> None:
    audit_log_record(
        tenant=subscription.tenant,
        actor=actor,
        action="webhook.deleted",
        target=subscription,
        details={"url": subscription.url},
    )
    subscription.delete()


def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor=None) -> WebhookDelivery:
    """Send a failed delivery again now (same X-Parley-Delivery id)."""
    if delivery.status not in (WebhookDelivery.Status.FAILED, WebhookDelivery.Status.SUCCEEDED):
        raise ValidationError(_("This delivery is still being retried."))
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, created_at=now
    )
    effects.task_on_commit(effects.OUTBOUND_WEBHOOK_DELIVER, delivery.pk)
    delivery.refresh_from_db()
    return delivery
