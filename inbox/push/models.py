"""Web Push: each person's notification setting and the devices they subscribed."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwnedModel


class NotificationSetting(TenantOwnedModel):
    """Which new messages one person is notified of in one business (no row: the default)."""

    class Scope(models.TextChoices):
        MINE = "mine", _("Conversations assigned to me")
        MINE_AND_UNASSIGNED = "mine_unassigned", _("Assigned to me or unassigned")
        ALL = "all", _("Every conversation I can see")
        NONE = "none", _("None")

    DEFAULT_SCOPE = Scope.MINE_AND_UNASSIGNED

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=20, choices=Scope.choices, default=DEFAULT_SCOPE)
    include_text = models.BooleanField(
        _("show the message text"),
        default=False,
        help_text=_("Off: a notification names the contact and the channel only."),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"], name="push_notification_setting_unique"
            )
        ]


class PushSubscription(TenantOwnedModel):
    """One browser (device) of one person, as its push service identifies it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(max_length=2000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint"], name="push_subscription_endpoint_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "user"], name="push_sub_tenant_user")]
