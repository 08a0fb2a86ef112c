"""Business hours and holidays (the away trigger), each change audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inbox.automation.models import BusinessHours, Holiday
from tenants.services import audit_log_record


@transaction.atomic
def business_hours_set(*, tenant, actor, intervals: list[tuple[int, object, object]]) -> None:
    """Replace the weekly schedule: (weekday, opens_at, closes_at) in the tenant's time."""
    for weekday, opens, closes in intervals:
        if not 0 <= weekday <= 6:
            raise ValidationError(_("Unknown weekday."))
        if closes != closes.replace(hour=0, minute=0, second=0) and closes <= opens:
            raise ValidationError(_("A closing time must be after the opening time."))
    BusinessHours.objects.for_tenant(tenant).delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(tenant=tenant, weekday=w, opens_at=o, closes_at=c) for w, o, c in intervals
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.hours.updated",
        details={
            "intervals": [
                [w, o.strftime("%H:%M"), c.strftime("%H:%M")] for w, o, c in sorted(intervals)
            ]
        },
    )


@transaction.atomic
def holiday_add(*, tenant, actor, date, name: str = "") -> Holiday:
    if Holiday.objects.for_tenant(tenant).filter(date=date).exists():
        raise ValidationError(_("This day is already a holiday."))
    holiday = Holiday.objects.create(tenant=tenant, date=date, name=name)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.holiday.added",
        target=holiday,
        details={"date": date.isoformat(), "name": name},
    )
    return holiday


@transaction.atomic
def holiday_delete(*, tenant, actor, holiday: Holiday) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.holiday.deleted",
        target=holiday,
        details={"date": holiday.date.isoformat(), "name": holiday.name},
    )
    holiday.delete()
