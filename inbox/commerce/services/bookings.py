"""Writes of bookings: create, update, transitions (no two active bookings overlap), the
summary and the reminder sent to the customer. Every change leaves a history row and a CRM
event (`booking.created|updated`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from inbox.commerce import notify
from inbox.commerce.models import (
    BOOKING_INACTIVE,
    BOOKING_TRANSITIONS,
    Booking,
    BookingEvent,
    BookingStatus,
)
from inbox.commerce.services.common import (
    Actor,
    BookingOverlap,
    CommerceConflict,
    TransitionNotAllowed,
    check_contact_conversation,
    emit_webhook_event,
)
from inbox.models import Contact, Conversation
from tenants.services import audit_log_record

log = logging.getLogger(__name__)


def _validate_booking_times(starts_at: datetime, ends_at: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError({"starts_at": _("Times must include a timezone.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})


def _overlapping(booking: Booking):
    return (
        Booking.objects.for_tenant(booking.tenant)
        .filter(
            resource__iexact=booking.resource.strip(),
            starts_at__lt=booking.ends_at,
            ends_at__gt=booking.starts_at,
        )
        .exclude(status__in=list(BOOKING_INACTIVE))
        .exclude(pk=booking.pk)
        .order_by("starts_at")
        .first()
    )


def _overlap_error(booking: Booking, other: Booking | None) -> BookingOverlap:
    if other is None:
        return BookingOverlap(
            _("%(resource)s is already booked at an overlapping time.")
            % {"resource": booking.resource}
        )
    start = notify.local(other.starts_at, booking.tenant)
    end = notify.local(other.ends_at, booking.tenant)
    return BookingOverlap(
        _("%(resource)s is already booked from %(start)s to %(end)s (%(service)s).")
        % {
            "resource": other.resource,
            "start": date_format(start, "SHORT_DATETIME_FORMAT"),
            "end": time_format(end, "TIME_FORMAT")
            if start.date() == end.date()
            else date_format(end, "SHORT_DATETIME_FORMAT"),
            "service": other.service,
        },
        {"conflicting_booking": other.pk},
    )


def _lock_resource(booking: Booking) -> None:
    """Queue writers of one tenant's resource behind each other until commit.

    The exclusion constraint alone holds under concurrency, but several transactions inserting
    overlapping rows at once can deadlock each other inside its index check (PostgreSQL then
    kills one with 40P01 instead of reporting the overlap). Serialising on the resource makes
    the pre-check below exact and leaves the constraint as the last guard."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"booking-resource:{booking.tenant_id}:{booking.resource.strip().lower()}"],
        )


def _save_booking(booking: Booking, **kwargs) -> None:
    """Save, turning the database's exclusion-constraint refusal into BookingOverlap.

    The Python pre-check gives the agent the conflicting booking; the constraint is what holds
    if anything writes around this function."""
    if booking.status not in BOOKING_INACTIVE:
        _lock_resource(booking)
        other = _overlapping(booking)
        if other is not None:
            raise _overlap_error(booking, other)
    try:
        with transaction.atomic():
            booking.save(**kwargs)
    except IntegrityError as exc:
        if "booking_no_overlap" in str(exc):
            raise _overlap_error(booking, _overlapping(booking)) from exc
        raise


def _remind_at(booking: Booking):
    if booking.reminder_minutes_before is None:
        return None
    try:
        return booking.starts_at - timedelta(minutes=booking.reminder_minutes_before)
    except OverflowError:  # a start near year 1
        return None


def _booking_event(booking, actor: Actor, field: str, old, new) -> None:
    BookingEvent.objects.create(
        tenant_id=booking.tenant_id,
        booking=booking,
        actor=actor.user,
        actor_label=actor.label,
        field=field,
        from_value="" if old is None else str(old),
        to_value="" if new is None else str(new),
    )


@transaction.atomic
def booking_create(
    *,
    tenant,
    contact: Contact,
    service: str,
    resource: str,
    starts_at: datetime,
    ends_at: datetime,
    conversation: Conversation | None = None,
    notes: str = "",
    reminder_minutes_before: int | None = None,
    actor: Actor | None = None,
) -> Booking:
    actor = actor or Actor.system()
    check_contact_conversation(tenant=tenant, contact=contact, conversation=conversation)
    _validate_booking_times(starts_at, ends_at)
    if not service.strip() or not resource.strip():
        raise ValidationError({"service": _("Service and staff/resource are required.")})
    booking = Booking(
        tenant=tenant,
        contact=contact,
        conversation=conversation,
        service=service.strip(),
        resource=resource.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes.strip(),
        reminder_minutes_before=reminder_minutes_before,
        created_by=actor.user,
    )
    booking.remind_at = _remind_at(booking)
    _save_booking(booking)
    _booking_event(booking, actor, "status", None, booking.status)
    emit_webhook_event(tenant=tenant, event_type="booking.created", obj=booking)
    return booking


BOOKING_UPDATABLE = (
    "service",
    "resource",
    "starts_at",
    "ends_at",
    "notes",
    "reminder_minutes_before",
)


@transaction.atomic
def booking_update(*, booking: Booking, actor: Actor | None = None, **fields) -> Booking:
    actor = actor or Actor.system()
    unknown = set(fields) - set(BOOKING_UPDATABLE)
    if unknown:
        raise TypeError(f"booking_update cannot change {sorted(unknown)}")
    booking = Booking.objects.select_for_update().select_related("tenant").get(pk=booking.pk)
    changed = {k: v for k, v in fields.items() if getattr(booking, k) != v}
    if not changed:
        return booking
    if booking.status in BOOKING_INACTIVE or booking.status == BookingStatus.COMPLETED:
        raise CommerceConflict(
            _("A %(status)s booking cannot be changed.")
            % {"status": booking.get_status_display().lower()}
        )
    for key, value in changed.items():
        _booking_event(booking, actor, key, getattr(booking, key), value)
        setattr(booking, key, value.strip() if isinstance(value, str) else value)
    _validate_booking_times(booking.starts_at, booking.ends_at)
    if {"starts_at", "reminder_minutes_before"} & set(changed):
        booking.reminder_sent_at = None  # a moved booking gets its reminder again
        booking.reminder_error = ""
        booking.remind_at = _remind_at(booking)
    _save_booking(
        booking,
        update_fields=[*changed, "remind_at", "reminder_sent_at", "reminder_error", "updated_at"],
    )
    emit_webhook_event(tenant=booking.tenant, event_type="booking.updated", obj=booking)
    return booking


@transaction.atomic
def booking_transition(*, booking: Booking, to_status: str, actor: Actor | None = None):
    actor = actor or Actor.system()
    if to_status not in BookingStatus.values:
        raise ValidationError({"status": _("Unknown status %(status)s.") % {"status": to_status}})
    booking = Booking.objects.select_for_update().select_related("tenant").get(pk=booking.pk)
    if to_status not in BOOKING_TRANSITIONS[booking.status]:
        raise TransitionNotAllowed(
            _("A booking cannot go from %(from)s to %(to)s.")
            % {
                "from": booking.get_status_display().lower(),
                "to": BookingStatus(to_status).label.lower(),
            },
            {"from": booking.status, "to": to_status, "allowed": booking.allowed_transitions},
        )
    old = booking.status
    booking.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status in BOOKING_INACTIVE or to_status == BookingStatus.COMPLETED:
        booking.remind_at = None
        update_fields.append("remind_at")
    _save_booking(booking, update_fields=update_fields)
    _booking_event(booking, actor, "status", old, to_status)
    audit_log_record(
        tenant=booking.tenant,
        actor=actor.user,
        action="booking.status_changed",
        target=booking,
        details={"from": old, "to": to_status, "by": actor.display},
    )
    emit_webhook_event(tenant=booking.tenant, event_type="booking.updated", obj=booking)
    return booking


def booking_send_summary(*, booking: Booking, actor: Actor | None = None):
    actor = actor or Actor.system()
    conversation = notify.conversation_for(
        tenant=booking.tenant, contact=booking.contact, conversation=booking.conversation
    )
    if conversation is None:
        raise notify.SendFailed(_("This contact has no conversation to send the summary to."))
    message = notify.send_to_customer(
        conversation=conversation,
        text=notify.booking_summary_text(booking),
        author_user=actor.user,
        author_kind="agent" if actor.user is not None else "bot",
        purpose="booking_reminder",
        context=notify.booking_context(booking),
    )
    _booking_event(booking, actor, "summary_sent", None, f"conversation {conversation.pk}")
    return message


REMINDER_RULE_NAME = "Booking reminder"


def booking_reminders_due(*, now: datetime | None = None):
    now = now or timezone.now()
    return Booking.objects.filter(
        remind_at__lte=now,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
    ).values_list("pk", flat=True)


def booking_reminder_send(*, booking_id: int, now: datetime | None = None) -> bool:
    """Send one booking's reminder, at most once: the conditional UPDATE is the claim, so two
    workers (or a rerun of the sweep) never both send it. True if this call sent it."""
    now = now or timezone.now()
    claimed = Booking.objects.filter(
        Q(pk=booking_id, reminder_sent_at__isnull=True, remind_at__lte=now, starts_at__gt=now),
        status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
    ).update(reminder_sent_at=now)
    if claimed != 1:
        return False
    booking = Booking.objects.select_related("tenant", "contact", "conversation").get(pk=booking_id)
    conversation = notify.conversation_for(
        tenant=booking.tenant, contact=booking.contact, conversation=booking.conversation
    )
    error = ""
    if conversation is None:
        error = _("No conversation to send the reminder to.")
    else:
        try:
            notify.send_to_customer(
                conversation=conversation,
                text=notify.booking_summary_text(booking, reminder=True),
                author_kind="bot",
                rule_name=REMINDER_RULE_NAME,
                purpose="booking_reminder",
                context=notify.booking_context(booking),
            )
        except notify.SendFailed as exc:
            error = exc.reason
        except Exception:
            log.exception("booking reminder failed", extra={"booking_id": booking_id})
            error = _("The reminder could not be sent.")
    if error:
        # Not retried: a reminder that cannot go out now is shown on the booking instead.
        Booking.objects.filter(pk=booking_id).update(reminder_error=error[:500])
        log.info("booking reminder not sent", extra={"booking_id": booking_id})
        return False
    _booking_event(booking, Actor.system(), "reminder_sent", None, now.isoformat())
    return True
