"""A channel's message templates (WhatsApp's pre-approved messages), synced from the provider.

A template's text has placeholders ``{{1}}``, ``{{2}}`` … (positional) or ``{{first_name}}``
(named) in its header and body. ``variable_map`` says where Parley fills a placeholder from
(``contact.name``, ``order.number``, …) so the composer can prefill it and automation, reminders
and order summaries can send it without a person.
"""

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.channels import Channel
from tenants.models import TenantOwnedModel

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class MessageTemplate(TenantOwnedModel):
    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PENDING = "pending", _("Pending review")
        REJECTED = "rejected", _("Rejected")
        PAUSED = "paused", _("Paused")
        DISABLED = "disabled", _("Disabled")
        ARCHIVED = "archived", _("Archived")
        OTHER = "other", _("Not usable")

    class Purpose(models.TextChoices):
        NONE = "", _("Any (chosen by an agent)")
        ORDER_SUMMARY = "order_summary", _("Order summaries")
        BOOKING_REMINDER = "booking_reminder", _("Booking summaries and reminders")
        CSAT = "csat", _("Satisfaction question (CSAT)")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="message_templates")
    provider_template_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    category = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    parameter_format = models.CharField(max_length=12, default="POSITIONAL")
    components = models.JSONField(default=list, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, blank=True, default="")
    # placeholder key → source ("contact.name", "order.number", …); see services.templates
    variable_map = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "name", "language"], name="template_channel_name_language"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"

    def _component(self, kind: str) -> dict:
        for component in self.components or []:
            if isinstance(component, dict) and str(component.get("type", "")).upper() == kind:
                return component
        return {}

    def part_text(self, kind: str) -> str:
        """The text of the HEADER (text headers only), BODY or FOOTER component."""
        component = self._component(kind)
        if kind == "HEADER" and str(component.get("format", "TEXT")).upper() != "TEXT":
            return ""
        return str(component.get("text", "") or "")

    def placeholders(self, kind: str) -> list[str]:
        """The placeholder keys of one component, each once, in order of appearance."""
        seen: dict[str, None] = {}
        for key in PLACEHOLDER.findall(self.part_text(kind)):
            seen.setdefault(key, None)
        keys = list(seen)
        if self.parameter_format.upper() != "NAMED":
            keys.sort(key=lambda k: int(k) if k.isdigit() else 0)
        return keys

    @property
    def variables(self) -> list[tuple[str, str]]:
        """(component, key) for every value a send needs: header first, then body."""
        return [(kind, key) for kind in ("HEADER", "BODY") for key in self.placeholders(kind)]

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.APPROVED


# Provider error codes of a send, in plain words for the agent (translated when shown; the
# stored ``Message.error_message`` is the provider module's English text).
SEND_ERRORS = {
    "131047": _(
        "The reply window is closed: more than 24 hours have passed since the customer's last "
        "message. Send an approved template instead."
    ),
    "132000": _(
        "The number of variables does not match the template. Sync the templates and fill in "
        "every variable."
    ),
    "132001": _(
        "WhatsApp does not know this template in this language, or it is not approved yet."
    ),
    "132005": _("The template's text is too long once the variables are filled in."),
    "132007": _("A variable breaks WhatsApp's formatting rules for templates."),
    "132012": _("A variable has the wrong format for this template."),
    "132015": _(
        "WhatsApp paused this template because customers reported or ignored it. Use another "
        "template."
    ),
    "132016": _("WhatsApp disabled this template. Use another template."),
    "131026": _("The message could not be delivered: the number may not use WhatsApp."),
}
