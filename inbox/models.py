from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.crypto import EncryptedJSONField
from tenants.models import Tenant, TenantOwnedModel


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


class Label(TenantOwnedModel):
    name = models.CharField(max_length=60)
    color = models.CharField(max_length=7, default="#6b7280")
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="label_tenant_name_unique")
        ]

    def __str__(self):
        return self.name


class Conversation(TenantOwnedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        SNOOZED = "snoozed", _("Snoozed")

    class Priority(models.IntegerChoices):
        NONE = 0, _("None")
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Source(models.TextChoices):
        ORGANIC = "organic", _("Organic")
        TIKTOK_AD = "tiktok_ad", _("TikTok ad")
        TIKTOK_TRACKING = "tiktok_tracking", _("TikTok tracking ID")
        META_AD = "meta_ad", _("Meta ad")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    provider_conversation_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    last_message_at = models.DateTimeField(default=timezone.now)
    last_message_preview = models.CharField(max_length=200, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    # Business messages sent since the customer last wrote (TikTok allows 10).
    business_messages_since_customer = models.PositiveIntegerField(default=0)
    # How the conversation started: ad referral, tracking id, or organic.
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.ORGANIC)
    ad_id = models.CharField(max_length=64, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)
    campaign_name = models.CharField(max_length=200, blank=True)
    tracking_id = models.CharField(max_length=128, blank=True)
    attribution = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant", "status", "-last_message_at", "-id"],
                name="conv_tenant_status_recent",
            ),
            models.Index(
                fields=["tenant", "assignee", "status", "-last_message_at"],
                name="conv_tenant_assignee",
            ),
            models.Index(fields=["tenant", "-last_message_at", "-id"], name="conv_tenant_recent"),
            models.Index(
                fields=["channel", "provider_conversation_id"], name="conv_channel_provider_id"
            ),
            models.Index(
                fields=["channel", "contact", "-last_message_at"], name="conv_channel_contact"
            ),
        ]

    def __str__(self):
        return f"Conversation {self.pk} with {self.contact}"


class Message(TenantOwnedModel):
    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        NOTE = "note", _("Private note")
        ACTIVITY = "activity", _("Activity")

    class Direction(models.TextChoices):
        IN = "in", _("Inbound")
        OUT = "out", _("Outbound")

    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        BOT = "bot", _("Bot")
        SYSTEM = "system", _("System")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Denormalised from the conversation so (channel, provider_message_id) can be unique.
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_name = models.CharField(max_length=120, blank=True)
    text = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=191, null=True, blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_channel_provider_id_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["conversation", "-created_at", "-id"], name="msg_conversation_time"
            ),
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="msg_pending_send",
            ),
        ]

    def __str__(self):
        return f"Message {self.pk}"

    @property
    def is_note(self) -> bool:
        return self.kind == self.Kind.NOTE


class Attachment(TenantOwnedModel):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        FILE = "file", _("File")
        STICKER = "sticker", _("Sticker")
        SHARED_POST = "shared_post", _("Shared post")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider_media_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)


class ConversationRead(TenantOwnedModel):
    """Where each agent has read a conversation up to."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="read_conversation_user_unique"
            )
        ]


class WebhookEvent(models.Model):
    """A raw webhook delivery, stored before anything else happens to it.

    Not tenant-owned until routed: an event for an unknown account has no tenant.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        UNROUTED = "unrouted", _("Unrouted")

    provider = models.CharField(max_length=16, choices=Provider.choices)
    received_at = models.DateTimeField(default=timezone.now)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    dedup_key = models.CharField(max_length=191)
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


# Models in their own modules: saved views (inbox UI) and the provider simulator's records.
from inbox.saved_views import SavedView  # noqa: E402, F401, I001
from inbox.simulator.models import (  # noqa: E402, F401
    SimulatorFailure,
    SimulatorProfile,
    SimulatorRequest,
    SimulatorRevokedToken,
)
