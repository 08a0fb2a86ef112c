from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox.commerce import services, tasks
from inbox.commerce.models import Booking, BookingStatus
from inbox.commerce.services import bookings
from tests import factories
from tests.commerce.factories import make_booking

pytestmark = pytest.mark.django_db

BKK = ZoneInfo("Asia/Bangkok")


def at(hour, minute=0, day=1):
    return datetime(2030, 1, day, hour, minute, tzinfo=BKK)


def test_an_overlapping_booking_of_the_same_resource_is_refused_with_a_clear_message(tenant_a):
    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    first = make_booking(tenant=tenant_a, start=at(10), hours=1, service="Haircut")
    with pytest.raises(services.BookingOverlap) as caught:
        make_booking(tenant=tenant_a, start=at(10, 30), resource="mai ")
    assert caught.value.message == (
        "Mai is already booked from 01/01/2030 10 a.m. to 11 a.m. (Haircut)."
    )
    assert caught.value.details == {"conflicting_booking": first.pk}


@pytest.mark.parametrize(
    ("language", "start", "end"),
    [
        ("vi", "01/01/2030 22:00", "02/01/2030 00:30"),
        ("cs", "01.01.2030 22:00", "02.01.2030 0:30"),
        ("ja", "2030/01/01 22:00", "2030/01/02 0:30"),
        ("th", "1 ม.ค. 2030, 22:00", "2 ม.ค. 2030, 0:30"),
    ],
)
def test_the_overlap_message_writes_times_as_the_agents_language_does(
    tenant_a, language, start, end
):
    from django.utils import translation

    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    make_booking(tenant=tenant_a, start=at(22), hours=2.5, service="Spa")
    with translation.override(language), pytest.raises(services.BookingOverlap) as caught:
        make_booking(tenant=tenant_a, start=at(23))
    assert start in caught.value.message and end in caught.value.message
    assert "2030-01-01" not in caught.value.message


def test_back_to_back_bookings_and_other_resources_are_fine(tenant_a, tenant_b):
    make_booking(tenant=tenant_a, start=at(10), hours=1)
    make_booking(tenant=tenant_a, start=at(11), hours=1)  # [10,11) and [11,12) touch only
    make_booking(tenant=tenant_a, start=at(10), hours=1, resource="Room 2")
    make_booking(tenant=tenant_b, start=at(10), hours=1)  # another tenant's "Mai"
    assert Booking.objects.count() == 4


def test_a_cancelled_or_no_show_booking_frees_its_slot(tenant_a):
    first = make_booking(tenant=tenant_a, start=at(10))
    services.booking_transition(booking=first, to_status="cancelled")
    second = make_booking(tenant=tenant_a, start=at(10))
    services.booking_transition(booking=second, to_status="confirmed")
    services.booking_transition(booking=second, to_status="no_show")
    make_booking(tenant=tenant_a, start=at(10))


def test_the_database_refuses_an_overlap_even_when_python_is_bypassed(tenant_a):
    existing = make_booking(tenant=tenant_a, start=at(10), hours=2)
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        Booking.objects.create(
            tenant=tenant_a,
            contact=existing.contact,
            service="Nails",
            resource="MAI",
            starts_at=at(11),
            ends_at=at(13),
        )
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        Booking.objects.filter(pk=make_booking(tenant=tenant_a, start=at(14)).pk).update(
            starts_at=at(11, 30)
        )


def test_a_race_past_the_python_check_still_gives_the_friendly_error(tenant_a, monkeypatch):
    make_booking(tenant=tenant_a, start=at(10))
    monkeypatch.setattr(bookings, "_overlapping", lambda booking: None)
    with pytest.raises(services.BookingOverlap):
        make_booking(tenant=tenant_a, start=at(10, 15))


def test_moving_a_booking_onto_another_is_refused(tenant_a):
    make_booking(tenant=tenant_a, start=at(10))
    later = make_booking(tenant=tenant_a, start=at(15))
    with pytest.raises(services.BookingOverlap):
        services.booking_update(booking=later, starts_at=at(10, 30), ends_at=at(11, 30))
    later.refresh_from_db()
    assert later.starts_at == at(15)


def test_the_end_must_follow_the_start_and_times_need_a_timezone(tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_booking(tenant=tenant_a, start=at(10), hours=0)
    with pytest.raises(ValidationError):
        make_booking(tenant=tenant_a, start=datetime(2030, 1, 1, 10))  # naive


def test_booking_transitions_follow_the_table(tenant_a):
    booking = make_booking(tenant=tenant_a, start=at(10))
    with pytest.raises(services.TransitionNotAllowed):
        services.booking_transition(booking=booking, to_status="completed")
    booking = services.booking_transition(booking=booking, to_status="confirmed")
    booking = services.booking_transition(booking=booking, to_status="completed")
    for target in BookingStatus.values:
        with pytest.raises(services.TransitionNotAllowed):
            services.booking_transition(booking=booking, to_status=target)
    assert [e.to_value for e in booking.history.filter(field="status")] == [
        "pending",
        "confirmed",
        "completed",
    ]


# --- reminders ------------------------------------------------------------------------------


def test_a_due_reminder_is_sent_once_into_the_bookings_conversation(tenant_a, sent):
    now = timezone.now()
    conversation = factories.ConversationFactory(tenant=tenant_a)
    booking = make_booking(
        tenant=tenant_a,
        conversation=conversation,
        start=now + timedelta(minutes=50),
        reminder_minutes_before=60,
    )
    not_yet = make_booking(
        tenant=tenant_a,
        conversation=conversation,
        start=now + timedelta(hours=5),
        resource="Room 1",
        reminder_minutes_before=60,
    )
    no_reminder = make_booking(
        tenant=tenant_a,
        conversation=conversation,
        start=now + timedelta(minutes=30),
        resource="Room 2",
    )
    assert tasks.booking_reminders_sweep() == 1
    assert tasks.booking_reminders_sweep() == 0
    assert services.booking_reminder_send(booking_id=booking.pk) is False
    assert len(sent) == 1
    assert sent[0].conversation == conversation
    assert sent[0].text.startswith("Reminder: Haircut with Mai on ")
    assert sent[0].author_kind == "bot"
    assert sent.calls[0] == {"rule_name": "Booking reminder"}
    booking.refresh_from_db()
    not_yet.refresh_from_db()
    no_reminder.refresh_from_db()
    assert booking.reminder_sent_at is not None
    assert not_yet.reminder_sent_at is None and no_reminder.reminder_sent_at is None


def test_a_cancelled_or_past_booking_gets_no_reminder(tenant_a, sent):
    now = timezone.now()
    cancelled = make_booking(
        tenant=tenant_a, start=now + timedelta(minutes=10), reminder_minutes_before=60
    )
    services.booking_transition(booking=cancelled, to_status="cancelled")
    past = make_booking(
        tenant=tenant_a,
        start=now - timedelta(hours=2),
        reminder_minutes_before=60,
        resource="Room 9",
    )
    assert tasks.booking_reminders_sweep() == 0
    assert sent == []
    past.refresh_from_db()
    assert past.reminder_sent_at is None


def test_a_refused_reminder_is_recorded_and_not_retried(tenant_a, sent):
    sent.reject_with = "The 24-hour reply window has closed."
    booking = make_booking(
        tenant=tenant_a, start=timezone.now() + timedelta(minutes=5), reminder_minutes_before=60
    )
    assert tasks.booking_reminders_sweep() == 0
    booking.refresh_from_db()
    assert booking.reminder_error == "The 24-hour reply window has closed."
    sent.reject_with = None
    assert tasks.booking_reminders_sweep() == 0
    assert sent == []


def test_moving_a_booking_rearms_its_reminder(tenant_a, sent):
    booking = make_booking(
        tenant=tenant_a, start=timezone.now() + timedelta(minutes=5), reminder_minutes_before=60
    )
    assert tasks.booking_reminders_sweep() == 1
    new_start = timezone.now() + timedelta(minutes=30)
    booking = services.booking_update(
        booking=booking, starts_at=new_start, ends_at=new_start + timedelta(hours=1)
    )
    assert booking.reminder_sent_at is None
    assert tasks.booking_reminders_sweep() == 1
    assert len(sent) == 2


def test_reminders_are_in_the_tenants_timezone(tenant_a, sent):
    tenant_a.timezone = "Asia/Ho_Chi_Minh"
    tenant_a.save()
    start = (timezone.now() + timedelta(minutes=20)).replace(second=0, microsecond=0)
    make_booking(tenant=tenant_a, start=start, reminder_minutes_before=60)
    tasks.booking_reminders_sweep()
    local = timezone.localtime(start, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%-I:%M") in sent[0].text or local.strftime("%-I ") in sent[0].text
    assert "(Asia/Ho_Chi_Minh)" in sent[0].text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Reminder: Haircut with Mai on 01/02/2030, 9:30 a.m.–10:30 a.m. (Asia/Tokyo)."),
        ("vi", "02/01/2030, 09:30–10:30 (Asia/Tokyo)."),
        ("ja", "リマインダー: 2030/01/02 9:30–10:30、Mai による Haircut (Asia/Tokyo)."),
        ("cs", "02.01.2030, 9:30–10:30 (Asia/Tokyo)."),
    ],
)
def test_a_reminder_writes_the_date_in_the_business_language_and_timezone(
    tenant_a, language, expected
):
    from inbox.commerce import notify

    tenant_a.timezone = "Asia/Tokyo"
    tenant_a.default_language = language
    tenant_a.save()
    booking = make_booking(tenant=tenant_a, start=at(7, 30, day=2), hours=1)  # 9:30 in Tokyo
    text = notify.booking_summary_text(booking, reminder=True)
    assert expected in text
    assert "2030-01-02" not in text


def test_reminders_go_through_the_real_message_send(tenant_a):
    conversation = factories.ConversationFactory(tenant=tenant_a)
    booking = make_booking(
        tenant=tenant_a,
        conversation=conversation,
        start=timezone.now() + timedelta(minutes=30),
        reminder_minutes_before=60,
    )
    assert services.booking_reminder_send(booking_id=booking.pk) is True
    message = conversation.messages.get()
    assert (message.direction, message.status, message.author_kind) == ("out", "queued", "bot")
    assert message.text.startswith("Reminder: Haircut with Mai")


@pytest.mark.django_db(transaction=True)
def test_two_agents_booking_the_same_slot_at_once_get_one_booking(tenant_a):
    import threading

    from django.db import connection

    conversation = factories.ConversationFactory(tenant=tenant_a)
    barrier = threading.Barrier(4)
    outcomes = []

    def worker(minute):
        try:
            barrier.wait(timeout=10)
            make_booking(tenant=tenant_a, conversation=conversation, start=at(10, minute))
            outcomes.append("booked")
        except services.BookingOverlap:
            outcomes.append("overlap")
        except Exception as exc:  # pragma: no cover - reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(m,)) for m in (0, 10, 20, 30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked", "overlap", "overlap", "overlap"]
    assert Booking.objects.count() == 1
