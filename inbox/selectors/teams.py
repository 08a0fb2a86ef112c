"""Reads of teams: the settings list, a member's teams, the inbox's team queues."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from inbox.models import Team, TeamMember
from tenants.permissions import Role


def team_list(*, tenant) -> list[Team]:
    """Every team of the business with its members (settings page, API, thread menu)."""
    members = TeamMember.objects.for_tenant(tenant).select_related("user").order_by("user__email")
    return list(
        Team.objects.for_tenant(tenant)
        .annotate(member_count=Count("members"))
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("name")
    )


def team_ids_of(*, tenant, user) -> set[int]:
    if user is None:
        return set()
    return set(
        TeamMember.objects.for_tenant(tenant).filter(user=user).values_list("team_id", flat=True)
    )


def inbox_teams(*, tenant, user, membership) -> list[Team]:
    """The team queues shown in an inbox's sidebar: an agent's own teams, every team for the
    others (who see every conversation anyway)."""
    qs = Team.objects.for_tenant(tenant).order_by("name")
    role = getattr(membership, "role", None)
    if role == Role.AGENT:
        qs = qs.filter(pk__in=team_ids_of(tenant=tenant, user=user))
    return list(qs)
