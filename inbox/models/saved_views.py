"""Saved views: named sets of conversation filters, personal or shared with the tenant."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import TenantOwnedModel


class SavedView(TenantOwnedModel):
    """A named set of conversation filters. Personal (owner set) or shared with the tenant."""

    name = models.CharField(max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True
    )
    shared = models.BooleanField(default=False)
    # The query string of the filters (ConversationFilters.to_querydict()).
    filters = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        indexes = [models.Index(fields=["tenant", "owner"], name="savedview_tenant_owner")]

    def __str__(self):
        return self.name
