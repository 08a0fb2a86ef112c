"""Contacts (the customers) and their ids on each channel."""

from django.db import models
from django.utils import timezone

from inbox.models.channels import Channel
from tenants.models import TenantOwnedModel


class Contact(TenantOwnedModel):
    name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="contact_tenant_created"),
            models.Index(fields=["tenant", "-id"], name="contact_tenant_id_desc"),
            # Contact search walks the tenant's contacts in name order (selectors/search.py).
            models.Index(fields=["tenant", "name", "id"], name="contact_tenant_name"),
        ]

    def __str__(self):
        return self.name or f"Contact {self.pk}"

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]


class ContactIdentity(TenantOwnedModel):
    """A contact's id on one channel (TikTok user id, WhatsApp wa_id, Messenger PSID)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="identities")
    external_id = models.CharField(max_length=128)
    username = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="identity_channel_external_unique"
            )
        ]
