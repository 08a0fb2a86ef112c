"""Automation → Macros: owners and admins define macros (ordered actions); agents run them
from the open conversation and from the bulk bar (`inbox/views/conversation_actions.py`)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox.automation.models import CannedResponse, Macro
from inbox.automation.services.macros import (
    ACTION_TYPES,
    MACRO_STATUSES,
    MAX_ACTIONS,
    MacroError,
    describe,
    macro_delete,
    macro_save,
)
from inbox.models import Conversation, Label, MessageTemplate
from inbox.selectors.teams import team_list
from inbox.views.thread import assignable_members
from tenants.access import access_macro, tenant_view

MANAGE = "automation.manage"
BLANK_ROWS = 3


def action_choices(tenant) -> list[tuple[str, str]]:
    """Every action a macro may hold, as `type:value` options of one select."""
    choices = [("", "—")]
    for label in Label.objects.for_tenant(tenant).order_by("name"):
        choices.append((f"label_add:{label.pk}", f"{ACTION_TYPES['label_add']} {label.name}"))
        choices.append((f"label_remove:{label.pk}", f"{ACTION_TYPES['label_remove']} {label.name}"))
    choices.append(("assign_agent:me", _("Assign to the agent who runs the macro")))
    choices.append(("assign_agent:none", _("Unassign")))
    for member in assignable_members(tenant):
        name = member.user.get_full_name() or member.user.email
        choices.append((f"assign_agent:{member.user_id}", f"{ACTION_TYPES['assign_agent']} {name}"))
    for team in team_list(tenant=tenant):
        choices.append((f"assign_team:{team.pk}", f"{ACTION_TYPES['assign_team']} {team.name}"))
    choices.append(("assign_team:none", _("Remove from team")))
    for status in MACRO_STATUSES:
        label = Conversation.Status(status).label
        choices.append((f"status:{status}", f"{ACTION_TYPES['status']}: {label}"))
    for value, label in Conversation.Priority.choices:
        choices.append((f"priority:{value}", f"{ACTION_TYPES['priority']}: {label}"))
    choices.append(("note:", _("Private note (write it beside)")))
    for canned in CannedResponse.objects.for_tenant(tenant).order_by("shortcut"):
        choices.append(
            (
                f"canned_response:{canned.pk}",
                f"{ACTION_TYPES['canned_response']} /{canned.shortcut}",
            )
        )
    templates = MessageTemplate.objects.for_tenant(tenant).filter(
        status=MessageTemplate.Status.APPROVED
    )
    for template in templates.select_related("channel").order_by("name", "language"):
        choices.append(
            (
                f"template:{template.pk}",
                f"{ACTION_TYPES['template']} {template.name} ({template.language}, "
                f"{template.channel.name})",
            )
        )
    return choices


def _rows(macro: Macro | None, post=None) -> list[dict]:
    """The editor's rows: the macro's actions (or what was posted) and a few blank ones."""
    if post is not None:
        rows = []
        for i in range(MAX_ACTIONS):
            choice = post.get(f"action_{i}", "")
            rows.append({"choice": choice, "text": post.get(f"text_{i}", "")})
        return [r for r in rows if r["choice"]] + [{"choice": "", "text": ""}] * BLANK_ROWS
    rows = []
    for action in (macro.actions if macro else []) or []:
        if action["type"] == "note":
            rows.append({"choice": "note:", "text": action["value"]})
        else:
            rows.append({"choice": f"{action['type']}:{action['value']}", "text": ""})
    return (rows + [{"choice": "", "text": ""}] * BLANK_ROWS)[: max(MAX_ACTIONS, len(rows))]


def _posted_actions(post) -> list[dict]:
    actions = []
    for i in range(MAX_ACTIONS):
        choice = post.get(f"action_{i}", "")
        if not choice:
            continue
        kind, _sep, value = choice.partition(":")
        if kind == "note":
            value = post.get(f"text_{i}", "")
        actions.append({"type": kind, "value": value})
    return actions


def _editor(request, macro=None):
    error = ""
    if request.method == "POST":
        try:
            saved = macro_save(
                tenant=request.tenant,
                actor=request.user,
                name=request.POST.get("name", ""),
                actions=_posted_actions(request.POST),
                macro=macro,
            )
        except MacroError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Macro %(name)s saved.") % {"name": saved.name})
            return redirect("automation_macros", tenant_slug=request.tenant.slug)
    return render(
        request,
        "automation/macro_form.html",
        {
            "section": "macros",
            "macro": macro,
            "name": request.POST.get("name", macro.name if macro else ""),
            "rows": _rows(macro, request.POST if request.method == "POST" else None),
            "choices": action_choices(request.tenant),
            "error": error,
        },
        status=422 if error else 200,
    )


@tenant_view(MANAGE)
def macro_list(request):
    macros = list(Macro.objects.for_tenant(request.tenant).order_by("name"))
    for macro in macros:
        macro.steps = [describe(request.tenant.pk, a) for a in macro.actions or []]
    return render(request, "automation/macros.html", {"section": "macros", "macros": macros})


@tenant_view(MANAGE)
def macro_create(request):
    return _editor(request)


@tenant_view(MANAGE)
def macro_edit(request, macro_id):
    return _editor(request, access_macro(request.membership, macro_id, write=True))


@require_POST
@tenant_view(MANAGE)
def macro_delete_view(request, macro_id):
    macro = access_macro(request.membership, macro_id, write=True)
    macro_delete(tenant=request.tenant, actor=request.user, macro=macro)
    messages.success(request, _("Macro deleted."))
    return redirect("automation_macros", tenant_slug=request.tenant.slug)
