"""Channels: a connected TikTok, WhatsApp or Messenger account of a business."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.crypto import EncryptedJSONField
from tenants.models import TenantOwnedModel


class Provider(models.TextChoices):
    TIKTOK = "tiktok", "TikTok"
    WHATSAPP = "whatsapp", "WhatsApp"
    MESSENGER = "messenger", "Messenger"


class Channel(TenantOwnedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISCONNECTED = "disconnected", _("Disconnected")
        ERROR = "error", _("Error")

    provider = models.CharField(max_length=16, choices=Provider.choices)
    name = models.CharField(max_length=120)
    # TikTok business id (open_id), WhatsApp phone_number_id, Messenger page id.
    account_id = models.CharField(max_length=128)
    waba_id = models.CharField(max_length=64, blank=True)
    credentials = EncryptedJSONField(default=dict, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "account_id"], name="channel_account_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_provider_display()} · {self.name}"
