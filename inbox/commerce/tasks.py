"""Booking reminders: a periodic sweep finds due reminders and sends each at most once."""

from celery import shared_task

from inbox.commerce import services


@shared_task(name="commerce.booking_reminders_sweep", ignore_result=True)
def booking_reminders_sweep() -> int:
    sent = 0
    for booking_id in list(services.booking_reminders_due()[:500]):
        if services.booking_reminder_send(booking_id=booking_id):
            sent += 1
    return sent
