"""TikTok signals: the Ads connection, signal keywords and the SignalReport outbox."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.crypto import EncryptedJSONField
from tenants.models import TenantOwnedModel

from .simulator_models import (
    FakeTikTokBehaviour,
    FakeTikTokEvent,
    FakeTikTokRequest,
    FakeTikTokToken,
)


class Signal(models.TextChoices):
    CONVERSATION_STARTED = "conversation_started", _("Conversation started")
    PAYMENT = "payment", _("Payment")
    ORDER = "order", _("Order")
    ADDRESS = "address", _("Address")
    BOOKING = "booking", _("Booking")
    LEAD = "lead", _("Lead")


# Signals found by keywords (conversation_started comes from the attribution).
KEYWORD_SIGNALS = [s for s in Signal.values if s != Signal.CONVERSATION_STARTED]


class TikTokAdsConnection(TenantOwnedModel):
    """The tenant's link to its TikTok Ads account and its Message Event Set (one per tenant)."""

    class Status(models.TextChoices):
        SETUP = "setup", _("Choosing the event set")
        CONNECTED = "connected", _("Connected")
        ERROR = "error", _("Needs attention")
        DISCONNECTED = "disconnected", _("Disconnected")

    class Method(models.TextChoices):
        OAUTH = "oauth", _("TikTok login (OAuth)")
        TOKEN = "token", _("Pasted event set id and token")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONNECTED)
    method = models.CharField(max_length=8, choices=Method.choices)
    # OAuth: the open_id / advertiser the token belongs to.
    account_id = models.CharField(max_length=128, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    event_set_id = models.CharField(max_length=64, blank=True)
    event_set_created = models.BooleanField(default=False)
    event_source = models.CharField(max_length=32, default="crm")
    # signal → TikTok event name; a blank name means the signal is not reported.
    event_mapping = models.JSONField(default=dict, blank=True)
    # {"access_token", "refresh_token"}: encrypted at rest, never logged or shown.
    credentials = EncryptedJSONField(default=dict, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    # Talks to the built-in TikTok fake (demo and tests) instead of TIKTOK_ADS_API_URL.
    simulated = models.BooleanField(default=False)
    throttled_until = models.DateTimeField(null=True, blank=True)
    throttle_strikes = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="tiktok_ads_connection_tenant_unique")
        ]

    def __str__(self):
        return f"TikTok Ads · {self.tenant_id} · {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.CONNECTED

    @property
    def collects_reports(self) -> bool:
        """New signals are queued (connected, or paused on a token problem until fixed)."""
        return self.status in (self.Status.CONNECTED, self.Status.ERROR)

    def event_name_for(self, signal: str) -> str:
        mapping = {**settings.TIKTOK_SIGNAL_EVENT_MAPPING, **(self.event_mapping or {})}
        return (mapping.get(signal) or "").strip()


class SignalKeyword(TenantOwnedModel):
    class Mode(models.TextChoices):
        WHOLE_WORD = "whole_word", _("Whole word")
        CONTAINS = "contains", _("Contains")
        EXACT = "exact", _("Whole message")
        STARTS_WITH = "starts_with", _("Starts with")

    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("Starting list")
        IMPORTED = "imported", _("Imported")

    signal = models.CharField(max_length=24, choices=Signal.choices)
    language = models.CharField(max_length=8, blank=True)
    text = models.CharField(max_length=200)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.WHOLE_WORD)
    accent_insensitive = models.BooleanField(default=False)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.IMPORTED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["signal", "language", "text"]
        constraints = [
            models.UniqueConstraint("tenant", "signal", Lower("text"), name="signal_keyword_unique")
        ]


class SignalReport(TenantOwnedModel):
    """The outbox: one signal of one conversation, to be reported to the TikTok Events API.

    Written in the same transaction as the message that caused it; sent by a task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    conversation = models.ForeignKey(
        "inbox.Conversation", on_delete=models.CASCADE, related_name="signal_reports"
    )
    signal = models.CharField(max_length=24, choices=Signal.choices)
    tracking_id = models.CharField(max_length=128, blank=True)
    # TikTok ad attribution copied from the conversation (never a Meta referral).
    ad_id = models.CharField(max_length=64, blank=True)
    advertiser_id = models.CharField(max_length=64, blank=True)
    material_id = models.CharField(max_length=64, blank=True)
    event_name = models.CharField(max_length=64)
    event_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "signal"], name="signal_report_once_per_conversation"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="signal_report_pending",
            ),
            models.Index(fields=["tenant", "-created_at"], name="signal_report_tenant_time"),
        ]

    def __str__(self):
        return f"{self.signal} · conversation {self.conversation_id} · {self.status}"


__all__ = [
    "FakeTikTokBehaviour",
    "FakeTikTokEvent",
    "FakeTikTokRequest",
    "FakeTikTokToken",
    "KEYWORD_SIGNALS",
    "Signal",
    "SignalKeyword",
    "SignalReport",
    "TikTokAdsConnection",
]
