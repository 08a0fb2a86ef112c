"""Teams: create, rename, delete, members; a conversation's team; round-robin within a team.

Owners and admins manage teams (`members.manage`); anyone who may reply queues a conversation
to a team. Every change is audited (teams) or shown in the thread (a conversation's team).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.models import Conversation, Team, TeamMember
from inbox.services.conversations import (
    ConversationActionError,
    _activity,
    _user_name,
    conversation_assign,
    conversation_changed,
)
from tenants.models import Membership
from tenants.permissions import STAFF
from tenants.services import audit_log_record


class TeamError(ValueError):
    """A team change the rules refuse (an empty or taken name, a member who cannot reply)."""


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise TeamError(_("A team needs a name."))
    if len(name) > 80:
        raise TeamError(_("A team name has at most 80 characters."))
    return name


def _name_taken(tenant, name: str, *, exclude_pk=None) -> bool:
    qs = Team.objects.for_tenant(tenant).filter(name__iexact=name)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _staff_user_ids(tenant, user_ids) -> set[int]:
    return set(
        Membership.objects.for_tenant(tenant)
        .filter(user_id__in=list(user_ids), role__in=[r.value for r in STAFF])
        .values_list("user_id", flat=True)
    )


def _set_members(team: Team, user_ids) -> None:
    wanted = {int(u) for u in user_ids}
    allowed = _staff_user_ids(team.tenant, wanted)
    if wanted - allowed:
        raise TeamError(_("Only members who may reply (owners, admins, agents) can join a team."))
    current = set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    TeamMember.objects.filter(team=team, user_id__in=current - wanted).delete()
    TeamMember.objects.bulk_create(
        [TeamMember(tenant=team.tenant, team=team, user_id=uid) for uid in sorted(wanted - current)]
    )


@transaction.atomic
def team_create(*, tenant, actor, name: str, member_ids=()) -> Team:
    name = _clean_name(name)
    if _name_taken(tenant, name):
        raise TeamError(_("A team with this name exists already."))
    try:
        with transaction.atomic():
            team = Team.objects.create(tenant=tenant, name=name)
    except IntegrityError:
        raise TeamError(_("A team with this name exists already.")) from None
    _set_members(team, member_ids)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="team.created",
        target=team,
        details={"name": name, "member_ids": sorted(int(u) for u in member_ids)},
    )
    return team


@transaction.atomic
def team_update(*, team: Team, actor, name: str | None = None, member_ids=None) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    details = {}
    if name is not None:
        name = _clean_name(name)
        if name != team.name:
            if _name_taken(team.tenant, name, exclude_pk=team.pk):
                raise TeamError(_("A team with this name exists already."))
            details["name"] = [team.name, name]
            team.name = name
            team.save(update_fields=["name"])
    if member_ids is not None:
        before = sorted(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
        _set_members(team, member_ids)
        after = sorted({int(u) for u in member_ids})
        if before != after:
            details["member_ids"] = [before, after]
    if details:
        audit_log_record(
            tenant=team.tenant, actor=actor, action="team.updated", target=team, details=details
        )
    return team


@transaction.atomic
def team_delete(*, team: Team, actor) -> None:
    """Delete the team; its conversations keep their agent and lose the team."""
    for conversation in (
        Conversation.objects.for_tenant(team.tenant)
        .filter(team=team)
        .select_related("tenant")
        .select_for_update(of=("self",))
    ):
        conversation.team = None
        conversation.updated_at = timezone.now()
        conversation.save(update_fields=["team", "updated_at"])
        conversation_changed(conversation)
    audit_log_record(
        tenant=team.tenant,
        actor=actor,
        action="team.deleted",
        target=team,
        details={"name": team.name},
    )
    team.delete()


@transaction.atomic
def conversation_assign_team(
    *, conversation: Conversation, team: Team | None, actor
) -> Conversation:
    """Queue the conversation to a team of its business (or to none); the agent stays."""
    if team is not None and team.tenant_id != conversation.tenant_id:
        raise ConversationActionError(_("Unknown team."))
    if conversation.team_id == (team.pk if team else None):
        return conversation
    conversation.team = team
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=["team", "updated_at"])
    if team is None:
        text = _("%(actor)s removed the conversation from its team") % {
            "actor": _user_name(actor) if actor is not None else _("Parley")
        }
    else:
        text = _("%(actor)s assigned the conversation to the team %(team)s") % {
            "actor": _user_name(actor) if actor is not None else _("Parley"),
            "team": team.name,
        }
    _activity(conversation, actor=actor, text=text)
    conversation_changed(conversation)
    return conversation


def team_round_robin_pick(*, team: Team):
    """The team's next member in turn, or None when the team has nobody who may reply.

    Fair under concurrency: the team row is locked (SELECT … FOR UPDATE) while the turn is
    read and moved, so two conversations arriving at once go to two different members.
    Call inside a transaction."""
    locked = Team.objects.select_for_update().get(pk=team.pk)
    member_ids = sorted(TeamMember.objects.filter(team=locked).values_list("user_id", flat=True))
    candidates = sorted(_staff_user_ids(locked.tenant_id, member_ids))
    if not candidates:
        return None
    last = locked.round_robin_last_user_id
    later = [uid for uid in candidates if last is None or uid > last]
    chosen = later[0] if later else candidates[0]
    locked.round_robin_last_user_id = chosen
    locked.save(update_fields=["round_robin_last_user_id"])
    return get_user_model().objects.get(pk=chosen)


@transaction.atomic
def conversations_bulk_assign_team(*, conversations, team: Team | None, actor) -> int:
    done = 0
    for conversation in conversations:
        try:
            conversation_assign_team(conversation=conversation, team=team, actor=actor)
            done += 1
        except ConversationActionError:
            continue
    return done


@transaction.atomic
def conversation_assign_round_robin(*, conversation: Conversation, team: Team, actor=None):
    """Queue the conversation to `team` and give it to the team's next member in turn.
    Returns the member, or None when the team has nobody who may reply (then only the team
    is set)."""
    conversation_assign_team(conversation=conversation, team=team, actor=actor)
    user = team_round_robin_pick(team=team)
    if user is not None:
        conversation_assign(conversation=conversation, assignee=user, actor=actor)
    return user
