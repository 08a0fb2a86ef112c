"""Writes on conversations: assignment, status and snooze, priority, labels, read state, notes.

Each service is atomic, saves with update_fields, records an activity line in the thread
where a person would want to see it, and on commit tells the agents' browsers
and the CRM webhooks through `inbox.effects` (the webhook's outbox rows in the same
transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Conversation, ConversationRead, Label, Message
from inbox.outbound_webhooks.payloads import conversation_payload
from tenants.models import Membership
from tenants.permissions import has_perm

log = logging.getLogger(__name__)


class ConversationActionError(ValueError):
    """A request the service refuses (for example a snooze time in the past)."""


def _user_name(user) -> str:
    if user is None:
        return _("nobody")
    return user.get_full_name() or user.first_name or user.email or str(user)


def conversation_changed(conversation: Conversation) -> None:
    """The conversation changed: a `conversation.updated` webhook event (written in this
    transaction) and, after commit, a live-update hint to the agents' pages."""
    effects.webhook_event(
        tenant=conversation.tenant,
        event_type="conversation.updated",
        data=partial(conversation_payload, conversation),
    )
    effects.live_hint(
        tenant_id=conversation.tenant_id,
        event="conversation.updated",
        conversation_id=conversation.pk,
        assignee_id=conversation.assignee_id,
    )


def _activity(conversation: Conversation, *, actor, text: str, metadata=None) -> Message:
    return Message.objects.create(
        tenant=conversation.tenant,
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind=Message.Kind.ACTIVITY,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.SYSTEM if actor is None else Message.AuthorKind.AGENT,
        author_user=actor,
        text=text,
        status=Message.Status.SENT,
        metadata=metadata or {},
    )


def _touch(conversation: Conversation, *fields: str) -> None:
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=[*fields, "updated_at"])


def assignable_member(*, tenant, user_id):
    """The user with this id if conversations may be assigned to them, else the refusal.

    The one rule for every entry point: a member of the business whose role may reply
    (a viewer cannot answer, so cannot be assigned).
    """
    membership = (
        Membership.objects.for_tenant(tenant)
        .select_related("user")
        .filter(user_id=user_id if str(user_id).isdigit() else None)
        .first()
    )
    if membership is None:
        raise ConversationActionError(_("That person is not a member of this business."))
    if not has_perm(membership, "inbox.reply"):
        raise ConversationActionError(
            _("%(name)s can only view the inbox, so cannot be assigned conversations.")
            % {"name": _user_name(membership.user)}
        )
    return membership.user


@transaction.atomic
def conversation_assign(*, conversation: Conversation, assignee, actor) -> Conversation:
    """Assign to a member who may reply (or None to unassign)."""
    if assignee is not None:
        assignable_member(tenant=conversation.tenant_id, user_id=assignee.pk)
    if conversation.assignee_id == (assignee.pk if assignee else None):
        return conversation
    conversation.assignee = assignee
    _touch(conversation, "assignee")
    if assignee is None:
        text = _("%(actor)s unassigned the conversation") % {"actor": _user_name(actor)}
    elif actor is not None and assignee.pk == actor.pk:
        text = _("%(actor)s took the conversation") % {"actor": _user_name(actor)}
    else:
        text = _("%(actor)s assigned the conversation to %(assignee)s") % {
            "actor": _user_name(actor),
            "assignee": _user_name(assignee),
        }
    _activity(conversation, actor=actor, text=text)
    conversation_changed(conversation)
    return conversation


@transaction.atomic
def conversation_set_status(
    *, conversation: Conversation, status: str, actor, snoozed_until: datetime | None = None
) -> Conversation:
    if status not in Conversation.Status.values:
        raise ConversationActionError(_("Unknown status."))
    if status == Conversation.Status.SNOOZED:
        if snoozed_until is None or snoozed_until <= timezone.now():
            raise ConversationActionError(_("Choose a snooze time in the future."))
    else:
        snoozed_until = None
    if conversation.status == status and conversation.snoozed_until == snoozed_until:
        return conversation
    conversation.status = status
    conversation.snoozed_until = snoozed_until
    _touch(conversation, "status", "snoozed_until")
    who = _user_name(actor) if actor is not None else _("Parley")
    texts = {
        "open": _("%(actor)s reopened the conversation"),
        "pending": _("%(actor)s marked the conversation pending"),
        "resolved": _("%(actor)s resolved the conversation"),
        "snoozed": _("%(actor)s snoozed the conversation until %(until)s"),
    }
    until = (
        date_format(timezone.localtime(snoozed_until), "SHORT_DATETIME_FORMAT")
        if snoozed_until
        else ""
    )
    # The status it moved to, for the reports (docs/reports.md: resolutions and reopenings).
    _activity(
        conversation,
        actor=actor,
        text=texts[status] % {"actor": who, "until": until},
        metadata={"status": status},
    )
    conversation_changed(conversation)
    if status == Conversation.Status.RESOLVED and conversation.channel.csat_enabled:
        effects.task_on_commit(effects.CSAT_ASK, conversation.pk)  # the satisfaction question
    return conversation


@transaction.atomic
def conversation_set_priority(*, conversation: Conversation, priority: int, actor) -> Conversation:
    priority = int(priority)
    if priority not in Conversation.Priority.values:
        raise ConversationActionError(_("Unknown priority."))
    if conversation.priority == priority:
        return conversation
    conversation.priority = priority
    _touch(conversation, "priority")
    _activity(
        conversation,
        actor=actor,
        text=_("%(actor)s set the priority to %(priority)s")
        % {"actor": _user_name(actor), "priority": conversation.get_priority_display()},
    )
    conversation_changed(conversation)
    return conversation


def _check_label(conversation: Conversation, label: Label) -> None:
    if label.tenant_id != conversation.tenant_id:
        raise ConversationActionError(_("Unknown label."))


@transaction.atomic
def conversation_add_label(*, conversation: Conversation, label: Label, actor) -> Conversation:
    _check_label(conversation, label)
    through = Conversation.labels.through
    _link, created = through.objects.get_or_create(
        conversation_id=conversation.pk, label_id=label.pk
    )
    if created:
        _touch(conversation)
        _activity(
            conversation,
            actor=actor,
            text=_("%(actor)s added the label %(label)s")
            % {"actor": _user_name(actor), "label": label.name},
        )
        conversation_changed(conversation)
    return conversation


@transaction.atomic
def conversation_remove_label(*, conversation: Conversation, label: Label, actor) -> Conversation:
    _check_label(conversation, label)
    through = Conversation.labels.through
    deleted, _count = through.objects.filter(
        conversation_id=conversation.pk, label_id=label.pk
    ).delete()
    if deleted:
        _touch(conversation)
        _activity(
            conversation,
            actor=actor,
            text=_("%(actor)s removed the label %(label)s")
            % {"actor": _user_name(actor), "label": label.name},
        )
        conversation_changed(conversation)
    return conversation


def conversation_mark_read(*, conversation: Conversation, user) -> None:
    """This user has read the conversation up to now (no broadcast: it is personal)."""
    ConversationRead.objects.update_or_create(
        conversation=conversation,
        user=user,
        defaults={"tenant_id": conversation.tenant_id, "last_read_at": timezone.now()},
    )


def conversation_mark_unread(*, conversation: Conversation, user) -> None:
    ConversationRead.objects.filter(conversation=conversation, user=user).delete()


@transaction.atomic
def note_create(*, conversation: Conversation, author, text: str) -> Message:
    """A private note: seen by the team, never sent to the customer."""
    text = (text or "").strip()
    if not text:
        raise ConversationActionError(_("A note cannot be empty."))
    note = Message.objects.create(
        tenant=conversation.tenant,
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind=Message.Kind.NOTE,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.AGENT,
        author_user=author,
        text=text,
        status=Message.Status.SENT,
    )
    _touch(conversation)
    effects.live_hint(
        tenant_id=conversation.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=note.pk,
    )
    return note


# --- bulk ----------------------------------------------------------------------------------


def _each(conversations: Iterable[Conversation], action, **kwargs) -> int:
    done = 0
    for conversation in conversations:
        try:
            action(conversation=conversation, **kwargs)
            done += 1
        except ConversationActionError:
            continue
    return done


@transaction.atomic
def conversations_bulk_assign(*, conversations, assignee, actor) -> int:
    return _each(conversations, conversation_assign, assignee=assignee, actor=actor)


@transaction.atomic
def conversations_bulk_set_status(
    *, conversations, status, actor, snoozed_until: datetime | None = None
) -> int:
    return _each(
        conversations,
        conversation_set_status,
        status=status,
        actor=actor,
        snoozed_until=snoozed_until,
    )


@transaction.atomic
def conversations_bulk_set_priority(*, conversations, priority, actor) -> int:
    return _each(conversations, conversation_set_priority, priority=priority, actor=actor)


@transaction.atomic
def conversations_bulk_add_label(*, conversations, label, actor) -> int:
    return _each(conversations, conversation_add_label, label=label, actor=actor)


@transaction.atomic
def conversations_bulk_remove_label(*, conversations, label, actor) -> int:
    return _each(conversations, conversation_remove_label, label=label, actor=actor)


def conversations_bulk_mark_unread(*, conversations, user) -> int:
    count = 0
    for conversation in conversations:
        conversation_mark_unread(conversation=conversation, user=user)
        count += 1
    return count


def conversations_bulk_mark_read(*, conversations, user) -> int:
    count = 0
    for conversation in conversations:
        conversation_mark_read(conversation=conversation, user=user)
        count += 1
    return count


# --- snooze --------------------------------------------------------------------------------


def conversations_wake_snoozed(*, now: datetime | None = None, limit: int = 500) -> int:
    """Reopen snoozed conversations whose time has come (the periodic task calls this)."""
    now = now or timezone.now()
    ids = list(
        Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=now)
        .order_by("snoozed_until")
        .values_list("pk", flat=True)[:limit]
    )
    woken = 0
    for pk in ids:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(skip_locked=True)
                .select_related("tenant")
                .filter(pk=pk, status=Conversation.Status.SNOOZED, snoozed_until__lte=now)
                .first()
            )
            if conversation is None:
                continue
            conversation_set_status(conversation=conversation, status="open", actor=None)
            woken += 1
    return woken
