"""Outbound CRM webhooks: subscriptions, the delivery outbox and its attempt log."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.crypto import decrypt_text, encrypt_text
from tenants.models import TenantOwnedModel

EVENT_TYPES = (
    "message.created",
    "message.updated",
    "conversation.created",
    "conversation.updated",
    "conversation.rated",
    "contact.created",
    "contact.updated",
    "contact.merged",
    "order.created",
    "order.updated",
    "booking.created",
    "booking.updated",
    "signal.reported",
    "comment.created",
    "comment.updated",
)
EVENT_TYPE_CHOICES = [(e, e) for e in EVENT_TYPES]


def generate_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscription(TenantOwnedModel):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    # The signing secret, Fernet-encrypted at rest (see `secret`).
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(_("active"), default=True)
    # First failed attempt since the last success; a day of failures disables the subscription.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "is_active"], name="crm_sub_tenant_active")]

    def __str__(self):
        return self.url

    @property
    def secret(self) -> str:
        return decrypt_text(self.secret_encrypted) if self.secret_encrypted else ""

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt_text(value)

    def wants(self, event_type: str) -> bool:
        return event_type in (self.event_types or [])


class WebhookDelivery(TenantOwnedModel):
    """One event for one subscription: the outbox row. Its uuid is `X-Parley-Delivery`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(default=uuid.uuid4)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "delivering"]),
                name="crm_delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="crm_delivery_sub_time"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class WebhookAttempt(TenantOwnedModel):
    """The delivery log: one row per POST, with the receiver's answer."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-id"]
