"""Channels: a connected account of a business at one of the registered providers."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.providers.registry import choices as provider_choices
from tenants.crypto import EncryptedJSONField
from tenants.models import TenantOwnedModel


class Channel(TenantOwnedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISCONNECTED = "disconnected", _("Disconnected")
        ERROR = "error", _("Error")

    # The registered providers; a callable, so adding a provider needs no migration.
    provider = models.CharField(max_length=16, choices=provider_choices)
    name = models.CharField(max_length=120)
    # The provider's id of the account: TikTok business id (open_id), WhatsApp
    # phone_number_id, Messenger page id, … (what webhooks are routed by).
    account_id = models.CharField(max_length=128)
    waba_id = models.CharField(max_length=64, blank=True)
    credentials = EncryptedJSONField(default=dict, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    settings = models.JSONField(default=dict, blank=True)
    # After a conversation is resolved, ask the customer for a 1–5 rating (CSAT).
    csat_enabled = models.BooleanField(_("ask for a satisfaction rating"), default=False)
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
