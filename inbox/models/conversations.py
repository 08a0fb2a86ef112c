"""Conversations, their labels, and where each agent has read them up to."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.channels import Channel
from inbox.models.contacts import Contact
from tenants.models import TenantOwnedModel


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

    class Kind(models.TextChoices):
        MESSAGES = "messages", _("Messages")
        COMMENTS = "comments", _("Comments")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    # Direct messages, or one customer's comments under one post (``post``).
    kind = models.CharField(
        max_length=8, choices=Kind.choices, default=Kind.MESSAGES, db_default=Kind.MESSAGES
    )
    post = models.ForeignKey(
        "inbox.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    provider_conversation_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "inbox.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
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
                fields=["tenant", "team", "status", "-last_message_at"], name="conv_tenant_team"
            ),
            models.Index(
                fields=["channel", "provider_conversation_id"], name="conv_channel_provider_id"
            ),
            models.Index(
                fields=["channel", "contact", "-last_message_at"], name="conv_channel_contact"
            ),
            # The live report's "waiting longest": the unassigned open conversations by how
            # long their customer has waited, read in order with LIMIT (reports.live).
            models.Index(
                fields=["tenant", "last_customer_message_at", "id"],
                condition=models.Q(
                    status="open", assignee__isnull=True, last_customer_message_at__isnull=False
                ),
                name="conv_tenant_waiting",
            ),
        ]

    def __str__(self):
        return f"Conversation {self.pk} with {self.contact}"


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
