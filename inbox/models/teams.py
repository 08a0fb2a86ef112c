"""Teams: groups of members (by market, product line, shift) that conversations are queued to."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwnedModel


class Team(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=80)
    # Round-robin within the team: the member who got the last conversation (locked row).
    round_robin_last_user_id = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="team_tenant_name_unique")
        ]

    def __str__(self):
        return self.name


class TeamMember(TenantOwnedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]
        indexes = [models.Index(fields=["tenant", "user"], name="team_member_tenant_user")]
