"""Messages of a conversation (customer, agent, bot, notes, activity) and their attachments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.channels import Channel
from inbox.models.conversations import Conversation
from inbox.models.templates import SEND_ERRORS
from tenants.models import TenantOwnedModel


class Message(TenantOwnedModel):
    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        NOTE = "note", _("Private note")
        ACTIVITY = "activity", _("Activity")
        COMMENT = "comment", _("Comment")

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

    @property
    def is_from_customer(self) -> bool:
        """The customer's own message: not a note, comment, activity line or outbound reply
        (what automation and TikTok signals read)."""
        return (
            self.kind == self.Kind.MESSAGE
            and self.direction == self.Direction.IN
            and self.author_kind == self.AuthorKind.CUSTOMER
        )

    @property
    def error_text(self) -> str:
        """Why a send failed, in the reader's language when the code is a known one."""
        known = SEND_ERRORS.get(self.error_code)
        return str(known) if known else (self.error_message or self.error_code)

    @property
    def template_name(self) -> str:
        return str(((self.metadata or {}).get("template") or {}).get("name", ""))


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
