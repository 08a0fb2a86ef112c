"""Actions on conversations, one URL each: access check → service → the refreshed partial."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from inbox.automation.services.macros import macro_run, macros_bulk_run
from inbox.selectors.conversations import visible_conversations
from inbox.services import conversations as svc
from inbox.services.sending import MessageRejected, message_send
from inbox.services.sending import message_retry as retry_message
from inbox.services.teams import conversation_assign_team, conversations_bulk_assign_team
from inbox.views.thread import thread_context
from tenants.access import (
    access_conversation,
    access_label,
    access_macro,
    access_message,
    access_team,
    require_perm,
    tenant_view,
)

BULK_LIMIT = 500


def _assignee(request, value):
    """None for "nobody", else the member the form names (the service decides who may be)."""
    if value in (None, "", "none"):
        return None
    user_id = request.user.pk if value == "me" else value
    return svc.assignable_member(tenant=request.tenant, user_id=user_id)


def _parse_moment(value: str) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def _thread(request, conversation, *, error: str = "", notice: str = "", status=200):
    conversation.refresh_from_db()
    context = thread_context(request, conversation)
    context["error"] = error
    context["notice"] = notice
    return render(request, "inbox/_thread.html", context, status=status)


def _run(request, conversation, action, **kwargs):
    try:
        action(conversation=conversation, **kwargs)
    except svc.ConversationActionError as error:
        return _thread(request, conversation, error=str(error), status=422)
    return _thread(request, conversation)


@require_POST
@tenant_view("inbox.view")
def conversation_assign(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    try:
        assignee = _assignee(request, request.POST.get("assignee"))
    except svc.ConversationActionError as error:
        return _thread(request, conversation, error=str(error), status=422)
    return _run(
        request, conversation, svc.conversation_assign, assignee=assignee, actor=request.user
    )


def _team(request, value):
    """None for "no team", else a team of this business (404 for anything else)."""
    if value in (None, "", "none"):
        return None
    return access_team(request.membership, value)


@require_POST
@tenant_view("inbox.view")
def conversation_team(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    team = _team(request, request.POST.get("team"))
    return _run(request, conversation, conversation_assign_team, team=team, actor=request.user)


@require_POST
@tenant_view("inbox.view")
def conversation_macro(request, conversation_id):
    """Run a macro: each action through its service; a failed one is named, the rest done."""
    conversation = access_conversation(request.membership, conversation_id, write=True)
    macro = access_macro(request.membership, request.POST.get("macro"))
    run = macro_run(macro=macro, conversation=conversation, actor=request.user)
    if run.failed:
        return _thread(request, conversation, error=run.summary())
    return _thread(request, conversation, notice=run.summary())


@require_POST
@tenant_view("inbox.view")
def conversation_status(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    return _run(
        request,
        conversation,
        svc.conversation_set_status,
        status=request.POST.get("status", ""),
        actor=request.user,
        snoozed_until=_parse_moment(request.POST.get("snoozed_until", "")),
    )


@require_POST
@tenant_view("inbox.view")
def conversation_priority(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    try:
        priority = int(request.POST.get("priority", ""))
    except ValueError:
        return HttpResponseBadRequest("priority")
    return _run(
        request, conversation, svc.conversation_set_priority, priority=priority, actor=request.user
    )


@require_POST
@tenant_view("inbox.view")
def conversation_labels(request, conversation_id):
    """POST label=<id> and op=add|remove."""
    conversation = access_conversation(request.membership, conversation_id, write=True)
    label = access_label(request.membership, request.POST.get("label"))
    action = (
        svc.conversation_remove_label
        if request.POST.get("op") == "remove"
        else svc.conversation_add_label
    )
    return _run(request, conversation, action, label=label, actor=request.user)


@require_POST
@tenant_view("inbox.view")
def conversation_unread(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id)
    svc.conversation_mark_unread(conversation=conversation, user=request.user)
    return HttpResponse(status=204)


@require_POST
@tenant_view("inbox.view")
def conversation_reply(request, conversation_id):
    """The composer: mode=reply sends to the customer, mode=note adds a private note."""
    conversation = access_conversation(request.membership, conversation_id, write=True)
    text = request.POST.get("text", "")
    if request.POST.get("mode") == "note":
        return _run(request, conversation, svc.note_create, author=request.user, text=text)
    try:
        message_send(conversation=conversation, text=text, author_user=request.user)
    except MessageRejected as error:
        return _thread(request, conversation, error=error.reason, status=422)
    return _thread(request, conversation)


@require_POST
@tenant_view("inbox.view")
def message_retry(request, conversation_id, message_id):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    message = access_message(request.membership, message_id, conversation=conversation, write=True)
    try:
        retry_message(message=message, actor=request.user)
    except MessageRejected as error:
        return _thread(request, conversation, error=error.reason, status=422)
    return _thread(request, conversation)


@require_POST
@tenant_view("inbox.view")
def bulk_action(request):
    """The same actions on selected conversations: POST ids=<id>&ids=… action=… value=…"""
    require_perm(request.membership, "inbox.reply")
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:BULK_LIMIT]
    conversations = list(
        visible_conversations(
            tenant=request.tenant, user=request.user, membership=request.membership
        )
        .filter(pk__in=ids)
        .select_related("tenant")
    )
    action, value = request.POST.get("action", ""), request.POST.get("value", "")
    actor = request.user
    try:
        if action == "assign":
            done = svc.conversations_bulk_assign(
                conversations=conversations, assignee=_assignee(request, value), actor=actor
            )
        elif action == "team":
            done = conversations_bulk_assign_team(
                conversations=conversations, team=_team(request, value), actor=actor
            )
        elif action == "macro":
            macro = access_macro(request.membership, value)
            runs = macros_bulk_run(macro=macro, conversations=conversations, actor=actor)
            failed = [run for run in runs if run.failed]
            return JsonResponse(
                {
                    "done": len(runs) - len(failed),
                    "ids": [c.pk for c in conversations],
                    "failed": [
                        {"id": run.conversation.pk, "summary": run.summary()} for run in failed
                    ],
                    "message": " ".join(run.summary() for run in failed[:3]),
                }
            )
        elif action == "status":
            done = svc.conversations_bulk_set_status(
                conversations=conversations,
                status=value,
                actor=actor,
                snoozed_until=_parse_moment(request.POST.get("snoozed_until", "")),
            )
        elif action == "priority":
            done = svc.conversations_bulk_set_priority(
                conversations=conversations, priority=int(value), actor=actor
            )
        elif action in ("label_add", "label_remove"):
            label = access_label(request.membership, value)
            bulk = (
                svc.conversations_bulk_add_label
                if action == "label_add"
                else svc.conversations_bulk_remove_label
            )
            done = bulk(conversations=conversations, label=label, actor=actor)
        elif action == "unread":
            done = svc.conversations_bulk_mark_unread(conversations=conversations, user=actor)
        elif action == "read":
            done = svc.conversations_bulk_mark_read(conversations=conversations, user=actor)
        else:
            return HttpResponseBadRequest("unknown action")
    except svc.ConversationActionError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except ValueError:
        return HttpResponseBadRequest("bad value")
    return JsonResponse({"done": done, "ids": [c.pk for c in conversations]})
