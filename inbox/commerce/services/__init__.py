"""Writes of orders and bookings, one module per topic; import them from here.

Keyword-only, atomic; every change leaves a history row and a CRM event.
"""

from inbox.commerce.services.bookings import (
    BOOKING_UPDATABLE,
    REMINDER_RULE_NAME,
    booking_create,
    booking_reminder_send,
    booking_reminders_due,
    booking_send_summary,
    booking_transition,
    booking_update,
)
from inbox.commerce.services.common import (
    Actor,
    BookingOverlap,
    CommerceConflict,
    OrderLocked,
    TransitionNotAllowed,
    actor_from_request,
)
from inbox.commerce.services.orders import (
    ORDER_UPDATABLE,
    order_create,
    order_send_summary,
    order_transition,
    order_update,
)

__all__ = [
    "BOOKING_UPDATABLE",
    "ORDER_UPDATABLE",
    "REMINDER_RULE_NAME",
    "Actor",
    "BookingOverlap",
    "CommerceConflict",
    "OrderLocked",
    "TransitionNotAllowed",
    "actor_from_request",
    "booking_create",
    "booking_reminder_send",
    "booking_reminders_due",
    "booking_send_summary",
    "booking_transition",
    "booking_update",
    "order_create",
    "order_send_summary",
    "order_transition",
    "order_update",
]
