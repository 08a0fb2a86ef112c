"""The period a report covers: today, the last 7 or 30 days, or chosen dates — whole days in
the tenant's timezone — and the period of the same length just before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from tenants.locale import tenant_zone

MAX_DAYS = 366
PRESETS = {"today": 1, "7d": 7, "30d": 30}


@dataclass(frozen=True)
class Period:
    key: str  # today, 7d, 30d or custom
    start: date
    end: date  # inclusive
    zone: ZoneInfo

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def end_dt(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        end = self.start - timedelta(days=1)
        return Period(self.key, end - timedelta(days=self.days - 1), end, self.zone)


def period_parse(tenant, params, *, now: datetime | None = None) -> Period:
    """The period asked for in `params` (period=today|7d|30d|custom, start, end as
    YYYY-MM-DD); by default the last 7 days."""
    zone = tenant_zone(tenant)
    today = (now or timezone.now()).astimezone(zone).date()
    key = params.get("period") or "7d"
    if key in PRESETS:
        return Period(key, today - timedelta(days=PRESETS[key] - 1), today, zone)

    def parse(value, default):
        try:
            return date.fromisoformat(value) if value else default
        except (TypeError, ValueError):
            return default

    end = parse(params.get("end"), today)
    start = parse(params.get("start"), end - timedelta(days=6))
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return Period("custom", start, end, zone)
