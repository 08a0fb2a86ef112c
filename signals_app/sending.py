"""Sending the SignalReport outbox to the TikTok Events API.

A claim takes up to TIKTOK_SIGNALS_BATCH_SIZE (≤ 1000) pending reports of one tenant with
`SELECT … FOR UPDATE SKIP LOCKED` and leases them (next_attempt_at moves into the future), so
two workers never send the same report; a worker that dies leaves a lease that expires, and
the sweeper re-drives it. The database, not the broker, is the source of truth.

A report is marked sent by one UPDATE … RETURNING in a transaction that holds nothing else but
the signal.reported outbox rows of the reports it changed, right after TikTok's answer: a
worker killed between TikTok receiving the batch and that commit is the only way a report is
sent twice (the lease expires and the batch goes again). TikTok deduplicates on `event_id`
(with the event set and event name, within 48 hours), so it still counts once; the lease is
kept short (≥ 3 HTTP timeouts: a send, a token refresh and a second send) so the re-send comes
within about a minute, far inside those 48 hours. Connection bookkeeping is done after that
commit: losing it to a crash costs nothing.

Outcomes: sent; throttled (40100/40016/40133, HTTP 429) → the batch and the connection back
off, attempts are not spent; token problem (40102/40104/40105) → refresh once if OAuth, else
the connection needs attention and reports wait; transient (5xx, network, 51065) → retried
with exponential backoff up to TIKTOK_SIGNALS_MAX_ATTEMPTS, then failed; permanent → failed
with TikTok's reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection as database
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inbox import effects

from . import client
from .connection import connection_access_token, connection_refresh
from .models import SignalReport, TikTokAdsConnection
from .payload import build_events_body, signal_fields_from_report

log = logging.getLogger(__name__)

TRANSIENT_BASE_SECONDS = 10
TRANSIENT_CAP_SECONDS = 1800
THROTTLE_BASE_SECONDS = 5
THROTTLE_CAP_SECONDS = 600


@dataclass
class Claim:
    tenant_id: int
    ids: list[int]
    full: bool


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retry_in: float | None = None
    error: str = ""


def _batch_size() -> int:
    return max(1, min(1000, settings.TIKTOK_SIGNALS_BATCH_SIZE))


def lease_seconds() -> float:
    """How long a claimed batch is left to its worker: at least a send, a token refresh and a
    second send at the HTTP timeout each, so a live worker's batch is never taken over."""
    return max(settings.TIKTOK_SIGNALS_LEASE_SECONDS, 3 * settings.PROVIDER_HTTP_TIMEOUT + 15)


def signal_reports_claim(*, tenant_id: int) -> Claim | None:
    """Lease the next batch of due pending reports of a connected tenant."""
    now = timezone.now()
    connection = TikTokAdsConnection.objects.filter(tenant_id=tenant_id).first()
    if connection is None or not connection.is_active:
        return None
    if connection.throttled_until and connection.throttled_until > now:
        return None
    size = _batch_size()
    with transaction.atomic():
        ids = list(
            SignalReport.objects.filter(
                tenant_id=tenant_id,
                status=SignalReport.Status.PENDING,
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return None
        SignalReport.objects.filter(id__in=ids).update(
            next_attempt_at=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    return Claim(tenant_id=tenant_id, ids=ids, full=len(ids) == size)


def signal_reports_send(*, claim: Claim) -> Outcome:
    """Send one claimed batch in one request and record the outcome on every report."""
    connection = (
        TikTokAdsConnection.objects.select_related("tenant").filter(tenant_id=claim.tenant_id)
    ).first()
    pending = SignalReport.objects.filter(id__in=claim.ids, status=SignalReport.Status.PENDING)
    if connection is None or not connection.is_active:
        # Disconnected since the claim: disconnect cancelled them; release anything left.
        pending.update(next_attempt_at=timezone.now(), attempts=F("attempts") - 1)
        return Outcome()
    reports = list(pending.order_by("id"))
    if not reports:
        return Outcome()
    body = build_events_body(
        event_source=connection.event_source,
        event_source_id=connection.event_set_id,
        signals=[signal_fields_from_report(r) for r in reports],
    )
    ids = [r.pk for r in reports]
    error = _post(connection, body, claim.tenant_id)
    if error is not None and error.kind == "token" and connection.method == "oauth":
        try:  # an expired or refused token: refresh once, then try again
            connection = connection_refresh(connection=connection, force=True)
            error = _post(connection, body, claim.tenant_id)
        except client.TikTokApiError as refresh_error:
            error = refresh_error
            if error.kind == "permanent":
                error.kind = "token"  # the refresh token itself was refused
    if error is None:
        return _success(connection, reports)
    return _failure(connection, ids, error)


def _post(connection: TikTokAdsConnection, body: dict, tenant_id: int):
    """Send the body; the error (None when TikTok accepted it)."""
    try:
        token = connection_access_token(connection)
        client.events_track(access_token=token, body=body, simulated=connection.simulated)
    except client.TikTokApiError as exc:
        return exc
    except Exception as exc:  # a bug or an unexpected answer: retried later, never lost
        log.exception("sending TikTok events for tenant %s failed", tenant_id)
        return client.TikTokApiError(f"Unexpected error: {type(exc).__name__}", kind="transient")
    return None


def _success(connection: TikTokAdsConnection, reports: list[SignalReport]) -> Outcome:
    now = timezone.now()
    ids = [r.pk for r in reports]
    # The window in which a crash re-sends the batch ends at this commit: nothing else here.
    with transaction.atomic():
        marked = _mark_sent(ids, now)
        # Only the reports this worker moved to sent (a batch whose lease ran out may have
        # been sent by another worker too: its CRM event is written once, by whoever marked).
        if marked:
            effects.webhook_events(
                tenant=connection.tenant,
                event_type="signal.reported",
                datas=[
                    {
                        "conversation_id": report.conversation_id,
                        "signal": report.signal,
                        "event_name": report.event_name,
                        "event_id": report.event_id,
                        "tracking_id": report.tracking_id,
                        "ad_id": report.ad_id,
                        "sent_at": now.isoformat(),
                    }
                    for report in reports
                    if report.pk in marked
                ],
            )
    with transaction.atomic():
        TikTokAdsConnection.objects.filter(pk=connection.pk).update(
            last_success_at=now, throttle_strikes=0, throttled_until=None, last_error=""
        )
        # TikTok accepts events again: reports waiting out a long backoff from the outage go
        # now. Only waits longer than a claim's lease are shortened, so a batch another worker
        # is sending right now is never released twice.
        resumed = SignalReport.objects.filter(
            tenant_id=connection.tenant_id,
            status=SignalReport.Status.PENDING,
            next_attempt_at__gt=now + timedelta(seconds=lease_seconds()),
        ).update(next_attempt_at=now)
    return Outcome(sent=len(marked), retry_in=0 if resumed else None)


def _mark_sent(ids: list[int], now) -> set[int]:
    """Pending → sent for these reports, in one statement; the ids it changed."""
    with database.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SignalReport._meta.db_table} SET status = %s, sent_at = %s, "  # noqa: S608
            "last_error = '', next_attempt_at = %s WHERE id = ANY(%s) AND status = %s "
            "RETURNING id",
            [SignalReport.Status.SENT, now, now, ids, SignalReport.Status.PENDING],
        )
        return {row[0] for row in cursor.fetchall()}


def _failure(connection: TikTokAdsConnection, ids: list[int], exc) -> Outcome:
    now = timezone.now()
    reason = exc.reason
    pending = SignalReport.objects.filter(id__in=ids, status=SignalReport.Status.PENDING)
    log.warning(
        "TikTok events for tenant %s: %s (%s, %d reports)",
        connection.tenant_id,
        exc.kind,
        exc.code,
        len(ids),
    )
    if exc.kind == "throttled":
        strikes = connection.throttle_strikes + 1
        delay = effects.backoff_seconds(
            strikes, base=THROTTLE_BASE_SECONDS, cap=THROTTLE_CAP_SECONDS
        )
        until = now + timedelta(seconds=delay)
        with transaction.atomic():
            # Throttling is not the reports' fault: the attempt is given back.
            deferred = pending.update(
                next_attempt_at=until, attempts=F("attempts") - 1, last_error=reason
            )
            TikTokAdsConnection.objects.filter(pk=connection.pk).update(
                throttled_until=until, throttle_strikes=strikes
            )
        return Outcome(deferred=deferred, retry_in=delay, error=reason)
    if exc.kind == "token":
        with transaction.atomic():
            deferred = pending.update(
                next_attempt_at=now, attempts=F("attempts") - 1, last_error=reason
            )
            TikTokAdsConnection.objects.filter(pk=connection.pk).update(
                status=TikTokAdsConnection.Status.ERROR,
                last_error=f"TikTok refused the access token ({reason}). Reconnect TikTok Ads.",
            )
        return Outcome(deferred=deferred, error=reason)
    if exc.kind == "transient":
        limit = settings.TIKTOK_SIGNALS_MAX_ATTEMPTS
        retry_in = None
        deferred = 0
        with transaction.atomic():
            failed = pending.filter(attempts__gte=limit).update(
                status=SignalReport.Status.FAILED,
                last_error=f"Gave up after {limit} attempts: {reason}"[:1000],
            )
            # One UPDATE per attempt count (a batch usually shares one).
            for attempts in set(pending.values_list("attempts", flat=True)):
                delay = effects.backoff_seconds(
                    attempts, base=TRANSIENT_BASE_SECONDS, cap=TRANSIENT_CAP_SECONDS
                )
                deferred += pending.filter(attempts=attempts).update(
                    next_attempt_at=now + timedelta(seconds=delay), last_error=reason
                )
                retry_in = delay if retry_in is None else min(retry_in, delay)
            TikTokAdsConnection.objects.filter(pk=connection.pk).update(last_error=reason)
        return Outcome(failed=failed, deferred=deferred, retry_in=retry_in, error=reason)
    with transaction.atomic():
        failed = pending.update(status=SignalReport.Status.FAILED, last_error=reason)
        TikTokAdsConnection.objects.filter(pk=connection.pk).update(last_error=reason)
    return Outcome(failed=failed, error=reason)


def signal_reports_due_tenants() -> list[int]:
    """Tenants with due pending reports (including expired leases) and a live connection."""
    now = timezone.now()
    return list(
        SignalReport.objects.filter(
            status=SignalReport.Status.PENDING,
            next_attempt_at__lte=now,
            tenant_id__in=TikTokAdsConnection.objects.filter(
                status=TikTokAdsConnection.Status.CONNECTED
            ).values("tenant_id"),
        )
        .values_list("tenant_id", flat=True)
        .distinct()
    )


def signal_reports_retry_failed(*, tenant, actor=None) -> int:
    from tenants.services import audit_log_record

    count = (
        SignalReport.objects.for_tenant(tenant)
        .filter(status=SignalReport.Status.FAILED)
        .update(
            status=SignalReport.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            last_error="",
        )
    )
    if count:
        audit_log_record(
            tenant=tenant, actor=actor, action="signals.retried", details={"reports": count}
        )
        effects.task_on_commit(effects.SIGNALS_SEND, tenant.pk)
    return count
