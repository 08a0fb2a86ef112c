from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.outbound_webhooks.models import (
    EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


@extend_schema_field({"type": "string", "format": "uri"})
class WebhookUrlField(serializers.CharField):
    """An absolute URI (`format: uri`, checked against the schema) with a host: no stricter
    grammar than the schema states (Django's URLValidator refuses one-letter TLDs, say)."""


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    url = WebhookUrlField(
        max_length=500,
        validators=[RegexValidator(r"^https?://[^/?#:@\s]", "Enter an http:// or https:// URL.")],
        help_text="An https:// URL (http:// only where private addresses are allowed, in "
        "development).",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]


class WebhookSubscriptionCreateSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        required=False,
        min_length=16,
        max_length=200,
        write_only=True,
        help_text="Optional: your own signing secret. Parley generates one when omitted.",
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookSubscriptionWithSecretSerializer(WebhookSubscriptionSerializer):
    """Returned once, on creation and on rotation: the signing secret in clear."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "error", "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
        ]
