"""TikTok signals — reads for the dashboard and its CSV export."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from inbox.models import Conversation

from .models import Signal, SignalKeyword, SignalReport, TikTokAdsConnection

MAX_PERIOD_DAYS = 366
SIGNAL_COLORS = {
    "conversation_started": "#6366f1",
    "payment": "#16a34a",
    "order": "#f59e0b",
    "address": "#0ea5e9",
    "booking": "#db2777",
    "lead": "#64748b",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    tz: zoneinfo.ZoneInfo

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def end_dt(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def _tz(tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def period_parse(tenant, start: str | None, end: str | None) -> Period:
    """The chosen period (dates in the tenant's timezone), by default the last 30 days."""
    tz = _tz(tenant)
    today = timezone.now().astimezone(tz).date()

    def parse(value, default):
        try:
            return date.fromisoformat(value) if value else default
        except ValueError:
            return default

    end_date = parse(end, today)
    start_date = parse(start, end_date - timedelta(days=29))
    if start_date > end_date:
        start_date, end_date = end_date, start_date
    if (end_date - start_date).days >= MAX_PERIOD_DAYS:
        start_date = end_date - timedelta(days=MAX_PERIOD_DAYS - 1)
    return Period(start_date, end_date, tz)


def _conversations(tenant, period: Period):
    paid = SignalReport.objects.filter(conversation=OuterRef("pk"), signal=Signal.PAYMENT)
    return (
        Conversation.objects.for_tenant(tenant)
        .filter(created_at__gte=period.start_dt, created_at__lt=period.end_dt)
        .annotate(paid=Exists(paid))
    )


@dataclass
class CampaignRow:
    source: str
    source_label: str
    campaign: str
    ad_id: str
    conversations: int
    payments: int

    @property
    def conversion(self) -> float:
        return round(100.0 * self.payments / self.conversations, 1) if self.conversations else 0.0


def _label(source: str) -> str:
    return str(dict(Conversation.Source.choices).get(source, source))


def conversations_by_ad(tenant, period: Period) -> list[CampaignRow]:
    rows = (
        _conversations(tenant, period)
        .values("source", "campaign_name", "ad_id")
        .annotate(n=Count("id"), payments=Count("id", filter=Q(paid=True)))
        .order_by("-n", "source", "campaign_name", "ad_id")
    )
    return [
        CampaignRow(
            r["source"], _label(r["source"]), r["campaign_name"], r["ad_id"], r["n"], r["payments"]
        )
        for r in rows
    ]


def conversations_by_campaign(tenant, period: Period) -> list[CampaignRow]:
    rows = (
        _conversations(tenant, period)
        .values("source", "campaign_name")
        .annotate(n=Count("id"), payments=Count("id", filter=Q(paid=True)))
        .order_by("-n", "source", "campaign_name")
    )
    return [
        CampaignRow(r["source"], _label(r["source"]), r["campaign_name"], "", r["n"], r["payments"])
        for r in rows
    ]


@dataclass
class DayBar:
    day: date
    counts: dict[str, int]
    total: int = 0
    segments: list[dict] = field(default_factory=list)


def signals_per_day(tenant, period: Period) -> tuple[list[DayBar], int]:
    """Signals per type per day, with bar segments (percent widths) for the CSS chart."""
    rows = (
        SignalReport.objects.for_tenant(tenant)
        .filter(created_at__gte=period.start_dt, created_at__lt=period.end_dt)
        .annotate(day=TruncDate("created_at", tzinfo=period.tz))
        .values("day", "signal")
        .annotate(n=Count("id"))
    )
    by_day: dict[date, dict[str, int]] = {}
    for r in rows:
        by_day.setdefault(r["day"], {})[r["signal"]] = r["n"]
    bars = []
    for day in period.days:
        counts = {s: by_day.get(day, {}).get(s, 0) for s in Signal.values}
        bars.append(DayBar(day=day, counts=counts, total=sum(counts.values())))
    peak = max((b.total for b in bars), default=0)
    for bar in bars:
        for signal, n in bar.counts.items():
            if n:
                bar.segments.append(
                    {
                        "signal": signal,
                        "label": Signal(signal).label,
                        "count": n,
                        "width": round(100.0 * n / peak, 2) if peak else 0,
                        "color": SIGNAL_COLORS.get(signal, "#999"),
                    }
                )
    return bars, peak


@dataclass
class Health:
    pending: int
    sent: int
    failed: int
    cancelled: int
    last_error: str
    last_error_at: datetime | None
    last_success_at: datetime | None


def delivery_health(tenant, connection: TikTokAdsConnection | None) -> Health:
    qs = SignalReport.objects.for_tenant(tenant)
    counts = qs.aggregate(
        pending=Count("id", filter=Q(status=SignalReport.Status.PENDING)),
        sent=Count("id", filter=Q(status=SignalReport.Status.SENT)),
        failed=Count("id", filter=Q(status=SignalReport.Status.FAILED)),
        cancelled=Count("id", filter=Q(status=SignalReport.Status.CANCELLED)),
        last_sent=Max("sent_at"),
    )
    last_failed = (
        qs.filter(status=SignalReport.Status.FAILED)
        .exclude(last_error="")
        .order_by("-next_attempt_at")
        .values("last_error", "next_attempt_at")
        .first()
    )
    last_error = (connection.last_error if connection else "") or (
        last_failed["last_error"] if last_failed else ""
    )
    last_success = (connection.last_success_at if connection else None) or counts["last_sent"]
    return Health(
        pending=counts["pending"],
        sent=counts["sent"],
        failed=counts["failed"],
        cancelled=counts["cancelled"],
        last_error=last_error,
        last_error_at=last_failed["next_attempt_at"] if last_failed else None,
        last_success_at=last_success,
    )


def recent_reports(tenant, *, status: str | None = None, limit: int = 20):
    qs = SignalReport.objects.for_tenant(tenant).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


def keyword_counts(tenant) -> list[dict]:
    return list(
        SignalKeyword.objects.for_tenant(tenant)
        .values("signal")
        .annotate(n=Count("id"))
        .order_by("signal")
    )


def simulator_requests(connection: TikTokAdsConnection | None, limit: int = 10) -> list[dict]:
    """What the built-in TikTok fake received with this connection's token (demo only)."""
    import json

    from .simulator_models import FakeTikTokRequest

    token = (connection.credentials or {}).get("access_token") if connection else None
    if not connection or not connection.simulated or not token:
        return []
    rows = FakeTikTokRequest.objects.filter(headers__contains={"Access-Token": token}).order_by(
        "-id"
    )[:limit]
    out = []
    for row in rows:
        try:
            body = json.loads(row.body or "{}")
        except ValueError:
            body = {}
        events = body.get("data") if isinstance(body, dict) else None
        preview = dict(body) if isinstance(body, dict) else {}
        if isinstance(events, list) and len(events) > 3:
            preview["data"] = [*events[:3], f"… {len(events) - 3} more"]
        out.append(
            {
                "at": row.at,
                "path": row.path,
                "code": row.code,
                "http_status": row.http_status,
                "events": len(events) if isinstance(events, list) else 0,
                "test": bool(isinstance(body, dict) and body.get("test_event_code")),
                "body": json.dumps(preview, indent=2, ensure_ascii=False)[:4000],
            }
        )
    return out
