"""Customer satisfaction (CSAT): the rating question sent after a conversation is resolved, and
the customer's answer (1–5)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.channels import Channel
from inbox.models.conversations import Conversation
from inbox.models.messages import Message
from tenants.models import TenantOwnedModel


class CsatSurvey(TenantOwnedModel):
    class Status(models.TextChoices):
        ASKED = "asked", _("Asked")
        RATED = "rated", _("Rated")
        SKIPPED = "skipped", _("Not asked")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="csat_surveys"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices)
    question = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(null=True, blank=True)
    # A reply counts as the rating only until then.
    expires_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    reply = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["conversation", "status", "-created_at"], name="csat_conv_status")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="csat_rating_1_to_5",
            )
        ]

    def __str__(self):
        return f"CSAT {self.pk} ({self.status})"

    @property
    def stars(self) -> str:
        return "★" * (self.rating or 0) + "☆" * (5 - (self.rating or 0)) if self.rating else ""
