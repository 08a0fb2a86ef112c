"""API shapes of orders and bookings (also the `data` of their CRM webhook events)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.commerce.models import (
    Booking,
    BookingStatus,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from inbox.commerce.money import LineInput, quantize
from inbox.models import Contact, Conversation

AMOUNT = {"max_digits": 18, "decimal_places": 3}


class TenantPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A pk of one of the request tenant's objects; anything else is 'does not exist'."""

    def __init__(self, model, **kwargs):
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return self.model.objects.none()
        return self.model.objects.for_tenant(tenant)


def _actor_display(event) -> str:
    if event.actor_id is not None and event.actor is not None:
        return event.actor.get_full_name() or event.actor.email
    return event.actor_label


class HistorySerializer(serializers.Serializer):
    field = serializers.CharField(help_text="`status`, `payment_status`, `lines`, a field name…")
    from_value = serializers.CharField()
    to_value = serializers.CharField()
    actor = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField())
    def get_actor(self, event) -> str:
        return _actor_display(event)


class OrderHistorySerializer(HistorySerializer):
    note = serializers.CharField()


class OrderLineSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LineKind.choices, default=LineKind.ITEM)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    unit_price = serializers.DecimalField(
        min_value=0,
        default=0,
        help_text="Item: price of one. Discount/shipping/tax: a fixed amount (ignored when "
        "`rate` is set).",
        **AMOUNT,
    )
    rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=3,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="Discount or tax as a percentage (7 = 7 %).",
    )
    amount = serializers.DecimalField(read_only=True, **AMOUNT)

    class Meta:
        model = OrderLine
        fields = ["kind", "name", "sku", "quantity", "unit_price", "rate", "amount"]
        extra_kwargs = {"name": {"required": False}, "sku": {"required": False}}

    def validate(self, attrs):
        if attrs.get("kind", LineKind.ITEM) == LineKind.ITEM and not attrs.get("name", "").strip():
            raise serializers.ValidationError({"name": "Every item needs a name."}, code="rule")
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        currency = instance.order.currency
        data["unit_price"] = str(quantize(instance.unit_price, currency))
        data["amount"] = str(quantize(instance.amount, currency))
        return data


def line_inputs(lines_data) -> list[LineInput]:
    return [
        LineInput(
            kind=line.get("kind", LineKind.ITEM),
            name=line.get("name", ""),
            sku=line.get("sku", ""),
            quantity=line.get("quantity", 1),
            unit_price=line.get("unit_price", 0),
            rate=line.get("rate"),
        )
        for line in lines_data
    ]


class OrderSerializer(serializers.ModelSerializer):
    contact = TenantPrimaryKeyField(Contact)
    conversation = TenantPrimaryKeyField(Conversation, required=False, allow_null=True)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        default="THB",
        error_messages={"invalid": gettext_lazy("Use a three-letter ISO 4217 code, e.g. THB.")},
        help_text="ISO 4217 code (three letters).",
    )
    lines = OrderLineSerializer(many=True)
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    payment_status = serializers.ChoiceField(
        choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    subtotal = serializers.DecimalField(read_only=True, **AMOUNT)
    discount_total = serializers.DecimalField(read_only=True, **AMOUNT)
    shipping_total = serializers.DecimalField(read_only=True, **AMOUNT)
    tax_total = serializers.DecimalField(read_only=True, **AMOUNT)
    total = serializers.DecimalField(read_only=True, **AMOUNT)
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=OrderStatus.choices), read_only=True
    )
    history = OrderHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "contact",
            "conversation",
            "currency",
            "status",
            "payment_status",
            "lines",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "shipping_address",
            "phone",
            "notes",
            "allowed_transitions",
            "history",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "number", "created_at", "updated_at"]
        extra_kwargs = {
            "shipping_address": {"required": False},
            "phone": {"required": False},
            "notes": {"required": False},
        }

    def validate_currency(self, value):
        return value.upper()

    def validate_lines(self, value):
        if not any(line.get("kind", LineKind.ITEM) == LineKind.ITEM for line in value):
            raise serializers.ValidationError(_("An order needs at least one item."), code="rule")
        return value

    def validate(self, attrs):
        contact = attrs.get("contact") or getattr(self.instance, "contact", None)
        conversation = attrs.get("conversation")
        if (
            conversation is not None
            and contact is not None
            and conversation.contact_id != contact.pk
        ):
            raise serializers.ValidationError(
                {"conversation": "This conversation is not with this contact."}, code="rule"
            )
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for key in ("subtotal", "discount_total", "shipping_total", "tax_total", "total"):
            data[key] = str(quantize(getattr(instance, key), instance.currency))
        return data


class OrderUpdateSerializer(OrderSerializer):
    """PUT/PATCH: contact and conversation are fixed once the order exists."""

    contact = TenantPrimaryKeyField(Contact, read_only=True)
    conversation = TenantPrimaryKeyField(Conversation, read_only=True)


class TransitionSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="The target status.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OrderTransitionSerializer(TransitionSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, help_text="The target status.")


class BookingTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BookingStatus.choices, help_text="The target status.")


class BookingHistorySerializer(HistorySerializer):
    pass


class BookingSerializer(serializers.ModelSerializer):
    contact = TenantPrimaryKeyField(Contact)
    conversation = TenantPrimaryKeyField(Conversation, required=False, allow_null=True)
    status = serializers.ChoiceField(choices=BookingStatus.choices, read_only=True)
    reminder_minutes_before = serializers.IntegerField(
        min_value=0,
        max_value=60 * 24 * 14,
        required=False,
        allow_null=True,
        help_text="Send the customer a reminder this many minutes before the start; null: none.",
    )
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=BookingStatus.choices), read_only=True
    )
    history = BookingHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "contact",
            "conversation",
            "service",
            "resource",
            "starts_at",
            "ends_at",
            "status",
            "notes",
            "reminder_minutes_before",
            "reminder_sent_at",
            "reminder_error",
            "allowed_transitions",
            "history",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "reminder_sent_at",
            "reminder_error",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "notes": {"required": False},
            "resource": {
                "help_text": "The staff member or resource booked (e.g. 'Mai', 'Room 2')."
            },
        }

    def validate(self, attrs):
        contact = attrs.get("contact") or getattr(self.instance, "contact", None)
        conversation = attrs.get("conversation")
        if (
            conversation is not None
            and contact is not None
            and conversation.contact_id != contact.pk
        ):
            raise serializers.ValidationError(
                {"conversation": "This conversation is not with this contact."}, code="rule"
            )
        starts_at = attrs.get("starts_at") or getattr(self.instance, "starts_at", None)
        ends_at = attrs.get("ends_at") or getattr(self.instance, "ends_at", None)
        if starts_at and ends_at and ends_at <= starts_at:
            raise serializers.ValidationError(
                {"ends_at": "The end must be after the start."}, code="rule"
            )
        return attrs


class BookingUpdateSerializer(BookingSerializer):
    contact = TenantPrimaryKeyField(Contact, read_only=True)
    conversation = TenantPrimaryKeyField(Conversation, read_only=True)
