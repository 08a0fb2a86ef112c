"""Macros: owners and admins define them (audited), agents run them on a conversation.

A run goes through the same services as the agent's own clicks (labels, assignment, team,
status, priority, private note, sending), each action in its own savepoint: an action that
fails is reported (which one, and why) and the others stay done. Every message an action
writes in the thread (activity lines, the note, the reply) is marked as run by the macro,
and one closing activity line sums the run up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inbox.automation.models import CannedResponse, Macro
from inbox.models import Conversation, Label, Message, MessageTemplate, Team
from inbox.services import conversations as conv
from inbox.services.sending import MessageRejected, message_send
from inbox.services.teams import conversation_assign_team
from inbox.services.templates import template_send
from tenants.services import audit_log_record

ACTION_TYPES = {
    "label_add": gettext_lazy("Add label"),
    "label_remove": gettext_lazy("Remove label"),
    "assign_agent": gettext_lazy("Assign to"),
    "assign_team": gettext_lazy("Assign to the team"),
    "status": gettext_lazy("Set status"),
    "priority": gettext_lazy("Set priority"),
    "note": gettext_lazy("Private note"),
    "canned_response": gettext_lazy("Send canned response"),
    "template": gettext_lazy("Send WhatsApp template"),
}
MAX_ACTIONS = 20
MACRO_STATUSES = ("open", "pending", "resolved")  # snoozing needs a time


class MacroError(ValueError):
    """A macro the rules refuse (no name, a name taken, an unknown action)."""


class MacroActionFailed(Exception):
    """One action of a run could not be carried out; `reason` is for the agent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ActionOutcome:
    position: int  # 1-based, as the agent sees the list
    type: str
    label: str
    ok: bool
    error: str = ""


@dataclass
class MacroRun:
    macro: Macro
    conversation: Conversation
    outcomes: list[ActionOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        failed = self.failed
        if not failed:
            return _("Macro “%(macro)s”: %(count)s actions done.") % {
                "macro": self.macro.name,
                "count": len(self.outcomes),
            }
        return _("Macro “%(macro)s”: %(done)s of %(count)s actions done; failed: %(failed)s.") % {
            "macro": self.macro.name,
            "done": len(self.outcomes) - len(failed),
            "count": len(self.outcomes),
            "failed": "; ".join(f"{o.position}. {o.label} ({o.error})" for o in failed),
        }


# --- defining -------------------------------------------------------------------------------


REFERENCES = {
    "label_add": Label,
    "label_remove": Label,
    "assign_team": Team,
    "canned_response": CannedResponse,
    "template": MessageTemplate,
}


def _check_reference(tenant, kind: str, value: str) -> None:
    """The label, team, canned response or member an action names is the business's."""
    if kind == "assign_agent":
        if value in ("me", "none"):
            return
        try:
            conv.assignable_member(tenant=tenant, user_id=value)
        except conv.ConversationActionError as error:
            raise MacroError(str(error)) from error
        return
    if kind == "assign_team" and value == "none":
        return
    model = REFERENCES[kind]
    if not (value.isdigit() and model.objects.for_tenant(tenant).filter(pk=value).exists()):
        raise MacroError(_("%s: no such item in this business.") % ACTION_TYPES[kind])


def _clean_actions(tenant, actions) -> list[dict]:
    cleaned = []
    for action in actions or []:
        kind = str(action.get("type", ""))
        value = str(action.get("value", "") or "").strip()
        if kind not in ACTION_TYPES:
            raise MacroError(_("Unknown action: %s") % kind)
        if kind == "note" and not value:
            raise MacroError(_("A private note action needs its text."))
        if kind == "status" and value not in MACRO_STATUSES:
            raise MacroError(_("Unknown status."))
        if kind == "priority" and value not in {str(v) for v in Conversation.Priority.values}:
            raise MacroError(_("Unknown priority."))
        if kind in REFERENCES or kind == "assign_agent":
            if not value:
                raise MacroError(_("Choose what the action %s applies to.") % ACTION_TYPES[kind])
            _check_reference(tenant, kind, value)
        cleaned.append({"type": kind, "value": value[:4000]})
    if not cleaned:
        raise MacroError(_("Add at least one action."))
    if len(cleaned) > MAX_ACTIONS:
        raise MacroError(_("A macro has at most %s actions.") % MAX_ACTIONS)
    return cleaned


@transaction.atomic
def macro_save(*, tenant, actor, name: str, actions, macro: Macro | None = None) -> Macro:
    name = (name or "").strip()[:120]
    if not name:
        raise MacroError(_("A macro needs a name."))
    actions = _clean_actions(tenant, actions)
    taken = Macro.objects.for_tenant(tenant).filter(name__iexact=name)
    if macro is not None:
        taken = taken.exclude(pk=macro.pk)
    if taken.exists():
        raise MacroError(_("A macro with this name exists already."))
    creating = macro is None
    macro = macro or Macro(tenant=tenant)
    macro.name, macro.actions = name, actions
    try:
        with transaction.atomic():
            macro.save()
    except IntegrityError:
        raise MacroError(_("A macro with this name exists already.")) from None
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.macro.created" if creating else "automation.macro.updated",
        target=macro,
        details={"name": name, "actions": actions},
    )
    return macro


@transaction.atomic
def macro_delete(*, tenant, actor, macro: Macro) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.macro.deleted",
        target=macro,
        details={"name": macro.name},
    )
    macro.delete()


# --- running --------------------------------------------------------------------------------


def _object(model, tenant_id, value, missing: str):
    found = model.objects.for_tenant(tenant_id).filter(pk=value if str(value).isdigit() else None)
    found = found.first()
    if found is None:
        raise MacroActionFailed(missing)
    return found


def describe(tenant_id, action: dict) -> str:
    """The action as the agent reads it: "Add label paid", "Set status Resolved"."""
    kind, value = action["type"], action.get("value", "")
    title = str(ACTION_TYPES.get(kind, kind))
    names = {
        "label_add": (Label, "name"),
        "label_remove": (Label, "name"),
        "assign_team": (Team, "name"),
        "canned_response": (CannedResponse, "shortcut"),
        "template": (MessageTemplate, "name"),
    }
    if kind in names and str(value).isdigit():
        model, attr = names[kind]
        obj = model.objects.for_tenant(tenant_id).filter(pk=value).first()
        detail = getattr(obj, attr) if obj else _("(deleted)")
        return f"{title} {'/' if kind == 'canned_response' else ''}{detail}"
    if kind == "status" and value in Conversation.Status.values:
        return f"{title} {Conversation.Status(value).label}"
    if kind == "priority" and str(value).isdigit() and int(value) in Conversation.Priority.values:
        return f"{title} {Conversation.Priority(int(value)).label}"
    if kind == "assign_agent":
        return f"{title} {_('me') if value == 'me' else _('nobody') if value == 'none' else value}"
    if kind == "note":
        return f"{title}: {value[:40]}"
    return title


def _perform(action: dict, *, conversation: Conversation, actor) -> None:
    kind, value = action["type"], action.get("value", "")
    tenant_id = conversation.tenant_id
    if kind in ("label_add", "label_remove"):
        label = _object(Label, tenant_id, value, _("The label no longer exists."))
        service = (
            conv.conversation_add_label if kind == "label_add" else conv.conversation_remove_label
        )
        service(conversation=conversation, label=label, actor=actor)
    elif kind == "assign_agent":
        user = None
        if value == "me" and actor is None:
            raise MacroActionFailed(_("Nobody runs this macro (an API key), so nobody is “me”."))
        if value != "none":
            user_id = actor.pk if value == "me" else value
            user = conv.assignable_member(tenant=conversation.tenant, user_id=user_id)
        conv.conversation_assign(conversation=conversation, assignee=user, actor=actor)
    elif kind == "assign_team":
        team = None
        if value != "none":
            team = _object(Team, tenant_id, value, _("The team no longer exists."))
        conversation_assign_team(conversation=conversation, team=team, actor=actor)
    elif kind == "status":
        conv.conversation_set_status(conversation=conversation, status=value, actor=actor)
    elif kind == "priority":
        conv.conversation_set_priority(conversation=conversation, priority=value, actor=actor)
    elif kind == "note":
        conv.note_create(conversation=conversation, author=actor, text=value)
    elif kind == "canned_response":
        canned = _object(
            CannedResponse, tenant_id, value, _("The canned response no longer exists.")
        )
        message_send(conversation=conversation, text=canned.text, author_user=actor)
    elif kind == "template":
        template = _object(
            MessageTemplate, tenant_id, value, _("The message template no longer exists.")
        )
        # Variables come from the template's mapping (contact, business); one it cannot
        # fill is refused by template_send, and reported as this action's failure.
        template_send(conversation=conversation, template=template, author_user=actor)
    else:
        raise MacroActionFailed(_("Unknown action: %s") % kind)


def _mark(conversation: Conversation, after_id: int, macro: Macro) -> None:
    """Mark the thread's messages an action wrote as run by the macro."""
    for message in Message.objects.filter(conversation=conversation, pk__gt=after_id):
        message.metadata = {**(message.metadata or {}), "macro": macro.name}
        message.save(update_fields=["metadata", "updated_at"])


def _last_message_id(conversation: Conversation) -> int:
    last = Message.objects.filter(conversation=conversation).order_by("-pk").first()
    return last.pk if last else 0


@transaction.atomic
def macro_run(*, macro: Macro, conversation: Conversation, actor) -> MacroRun:
    """Run the macro's actions in order on the conversation, as `actor`."""
    if macro.tenant_id != conversation.tenant_id:
        raise MacroError(_("Unknown macro."))
    run = MacroRun(macro=macro, conversation=conversation)
    for position, action in enumerate(macro.actions or [], start=1):
        label = describe(conversation.tenant_id, action)
        before = _last_message_id(conversation)
        try:
            with transaction.atomic():
                conversation.refresh_from_db()
                _perform(action, conversation=conversation, actor=actor)
        except MacroActionFailed as error:
            run.outcomes.append(ActionOutcome(position, action["type"], label, False, error.reason))
            continue
        except (conv.ConversationActionError, MessageRejected) as error:
            reason = getattr(error, "reason", None) or str(error)
            run.outcomes.append(ActionOutcome(position, action["type"], label, False, reason))
            continue
        _mark(conversation, before, macro)
        run.outcomes.append(ActionOutcome(position, action["type"], label, True))
    conversation.refresh_from_db()
    summary = conv._activity(conversation, actor=actor, text=run.summary())
    summary.metadata = {"macro": macro.name}
    summary.save(update_fields=["metadata"])
    conv.conversation_changed(conversation)
    return run


def macros_bulk_run(*, macro: Macro, conversations, actor) -> list[MacroRun]:
    """The macro on each conversation (each run its own transaction)."""
    return [macro_run(macro=macro, conversation=c, actor=actor) for c in conversations]
