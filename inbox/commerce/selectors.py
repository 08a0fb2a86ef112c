"""Reads of orders and bookings."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django_filters.fields import IsoDateTimeField

from inbox.commerce.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
)
from tenants.api_filters import IdFilter, utc_clamped


def orders_with_details(queryset):
    return queryset.select_related("contact", "conversation").prefetch_related(
        "lines",
        Prefetch("history", queryset=OrderEvent.objects.select_related("actor")),
    )


def bookings_with_details(queryset):
    return queryset.select_related("contact", "conversation").prefetch_related(
        Prefetch("history", queryset=BookingEvent.objects.select_related("actor"))
    )


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 with any offset, normalised to UTC (PostgreSQL refuses offsets beyond ±15:59).
    A moment before year 1 or after 9999 in UTC is taken as the earliest or latest one."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        return utc_clamped(value)


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class OrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    contact = IdFilter(field_name="contact_id")
    conversation = IdFilter(field_name="conversation_id")
    number = IdFilter()
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = []


class BookingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    contact = IdFilter(field_name="contact_id")
    conversation = IdFilter(field_name="conversation_id")
    resource = django_filters.CharFilter(field_name="resource", lookup_expr="iexact")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    starts_after = DateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = DateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Booking
        fields = []


def order_list(*, tenant, filters: dict | None = None, limit: int | None = None):
    queryset = Order.objects.for_tenant(tenant).select_related("contact").order_by("-id")
    if filters:
        queryset = OrderFilter(filters, queryset=queryset).qs
    return queryset[:limit] if limit else queryset


def booking_list(*, tenant, filters: dict | None = None, limit: int | None = None):
    queryset = Booking.objects.for_tenant(tenant).select_related("contact").order_by("starts_at")
    if filters:
        queryset = BookingFilter(filters, queryset=queryset).qs
    return queryset[:limit] if limit else queryset


def contact_orders(*, tenant, contact, limit: int = 10):
    return list(
        Order.objects.for_tenant(tenant)
        .filter(contact=contact)
        .prefetch_related("lines")
        .order_by("-id")[:limit]
    )


def contact_bookings(*, tenant, contact, limit: int = 10):
    return list(
        Booking.objects.for_tenant(tenant).filter(contact=contact).order_by("-starts_at")[:limit]
    )


def booking_resources(*, tenant, limit: int = 50) -> list[str]:
    """Names of staff/resources already booked, for the booking form's suggestions."""
    return list(
        Booking.objects.for_tenant(tenant)
        .order_by("resource")
        .values_list("resource", flat=True)
        .distinct()[:limit]
    )
