"""Raw webhook deliveries, stored before anything else happens to them."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.channels import Channel
from inbox.providers.registry import choices as provider_choices
from tenants.models import Tenant


class WebhookEvent(models.Model):
    """A raw webhook delivery, stored before anything else happens to it.

    Not tenant-owned until routed: an event for an unknown account has no tenant.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        UNROUTED = "unrouted", _("Unrouted")

    provider = models.CharField(max_length=16, choices=provider_choices)
    received_at = models.DateTimeField(default=timezone.now)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    dedup_key = models.CharField(max_length=191)
    # The account the payload names (a TikTok shop, a Page, a WhatsApp business account), read
    # at intake without routing: processing claims pending events round-robin across accounts,
    # so one account's burst cannot starve the others (inbox/ingest/pipeline.py).
    account_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "dedup_key"], name="webhook_event_dedup_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "received_at"],
                condition=Q(status__in=["pending", "failed", "unrouted"]),
                name="webhook_event_open",
            )
        ]
