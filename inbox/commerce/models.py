"""Orders and bookings taken inside conversations.

The allowed status changes are the tables ORDER_TRANSITIONS and BOOKING_TRANSITIONS below
(docs/commerce.md shows the same); services refuse anything else.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models import Contact, Conversation
from tenants.models import Tenant, TenantOwnedModel

AMOUNT = {"max_digits": 18, "decimal_places": 3}


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


S = OrderStatus
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
# Lines (items, discount, shipping, tax) may change only before payment.
ORDER_EDITABLE_LINES = frozenset({S.DRAFT, S.CONFIRMED})


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")


class OrderCounter(models.Model):
    """The last order number of a tenant; locked by the UPDATE that allocates the next."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)


class Order(TenantOwnedModel):
    number = models.PositiveIntegerField()
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="orders")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    currency = models.CharField(max_length=3, default="THB")
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default=S.DRAFT)
    payment_status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    shipping_address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    subtotal = models.DecimalField(default=0, **AMOUNT)
    discount_total = models.DecimalField(default=0, **AMOUNT)
    shipping_total = models.DecimalField(default=0, **AMOUNT)
    tax_total = models.DecimalField(default=0, **AMOUNT)
    total = models.DecimalField(default=0, **AMOUNT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="order_tenant_number_unique")
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-id"], name="order_tenant_status"),
            models.Index(fields=["tenant", "contact", "-id"], name="order_tenant_contact"),
            models.Index(fields=["tenant", "-created_at"], name="order_tenant_created"),
        ]

    def __str__(self):
        return f"#{self.number}"

    @property
    def allowed_transitions(self) -> list[str]:
        return [s for s in OrderStatus.values if s in ORDER_TRANSITIONS[self.status]]

    @property
    def transition_choices(self) -> list[tuple[str, str]]:
        return [(s, OrderStatus(s).label) for s in self.allowed_transitions]

    @property
    def lines_editable(self) -> bool:
        return self.status in ORDER_EDITABLE_LINES


class LineKind(models.TextChoices):
    ITEM = "item", _("Item")
    DISCOUNT = "discount", _("Discount")
    SHIPPING = "shipping", _("Shipping")
    TAX = "tax", _("Tax")


class OrderLine(TenantOwnedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.ITEM)
    name = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(default=0, **AMOUNT)
    # Discount/tax as a percentage (e.g. 7.000 for VAT 7 %); null means a fixed amount.
    rate = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    amount = models.DecimalField(default=0, **AMOUNT)

    class Meta:
        ordering = ["position", "id"]


class OrderEvent(TenantOwnedModel):
    """The order's history: who changed what, when, from → to."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)  # "API key crm", "system"
    field = models.CharField(max_length=40)
    from_value = models.TextField(blank=True)
    to_value = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


B = BookingStatus
BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    B.PENDING: frozenset({B.CONFIRMED, B.CANCELLED}),
    B.CONFIRMED: frozenset({B.COMPLETED, B.CANCELLED, B.NO_SHOW}),
    B.COMPLETED: frozenset(),
    B.CANCELLED: frozenset(),
    B.NO_SHOW: frozenset(),
}
# Bookings in these states free their time slot.
BOOKING_INACTIVE = frozenset({B.CANCELLED, B.NO_SHOW})


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Booking(TenantOwnedModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="bookings")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    service = models.CharField(max_length=200)
    # The staff member or resource booked (a person's name, "Room 2", "Chair A").
    # Two active bookings of the same resource (case- and space-insensitive) may not overlap.
    resource = models.CharField(max_length=120)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=BookingStatus.choices, default=B.PENDING)
    notes = models.TextField(blank=True)
    reminder_minutes_before = models.PositiveIntegerField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"
            ),
            ExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    ("tenant", RangeOperators.EQUAL),
                    (Lower(Trim("resource")), RangeOperators.EQUAL),
                    (
                        TsTzRange("starts_at", "ends_at", models.Value("[)")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=~Q(status__in=sorted(BOOKING_INACTIVE)),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "starts_at"], name="booking_tenant_start"),
            models.Index(fields=["tenant", "contact", "-starts_at"], name="booking_tenant_contact"),
            models.Index(
                fields=["remind_at"],
                condition=Q(reminder_sent_at__isnull=True, remind_at__isnull=False),
                name="booking_reminder_due",
            ),
        ]

    def __str__(self):
        return f"{self.service} · {self.resource}"

    @property
    def allowed_transitions(self) -> list[str]:
        return [s for s in BookingStatus.values if s in BOOKING_TRANSITIONS[self.status]]

    @property
    def transition_choices(self) -> list[tuple[str, str]]:
        return [(s, BookingStatus(s).label) for s in self.allowed_transitions]


class BookingEvent(TenantOwnedModel):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    field = models.CharField(max_length=40)
    from_value = models.TextField(blank=True)
    to_value = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
