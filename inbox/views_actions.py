"""Inbox actions, one URL each: access check → service → the refreshed partial."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from inbox.models import Conversation, Label
from inbox.saved_views import SavedView
from inbox.selectors.conversations import ConversationFilters, visible_conversations
from inbox.services import conversations as svc
from inbox.services.contacts import ContactEditError, contact_update
from inbox.views import _thread_context, member_conversation, message_for_conversation
from tenants.access import require_perm, tenant_view
from tenants.models import Membership
from tenants.permissions import has_perm

BULK_LIMIT = 500


def _writable_conversation(request, conversation_id) -> Conversation:
    conversation = member_conversation(request, conversation_id)
    require_perm(request, "inbox.reply")
    return conversation


def _member_user(request, value):
    if value in (None, "", "none"):
        return None
    if value == "me":
        return request.user
    membership = (
        Membership.objects.for_tenant(request.tenant)
        .select_related("user")
        .filter(user_id=value if str(value).isdigit() else 0)
        .exclude(role="viewer")
        .first()
    )
    if membership is None:
        raise svc.ConversationActionError("unknown member")
    return membership.user


def _parse_moment(value: str) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def _label(request, value) -> Label:
    return get_object_or_404(Label.objects.for_tenant(request.tenant), pk=value or 0)


def _thread(request, conversation, *, error: str = "", status=200):
    conversation.refresh_from_db()
    context = _thread_context(request, conversation)
    context["error"] = error
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
    conversation = _writable_conversation(request, conversation_id)
    try:
        assignee = _member_user(request, request.POST.get("assignee"))
    except svc.ConversationActionError:
        return HttpResponseBadRequest("unknown member")
    return _run(
        request, conversation, svc.conversation_assign, assignee=assignee, actor=request.user
    )


@require_POST
@tenant_view("inbox.view")
def conversation_status(request, conversation_id):
    conversation = _writable_conversation(request, conversation_id)
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
    conversation = _writable_conversation(request, conversation_id)
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
    conversation = _writable_conversation(request, conversation_id)
    label = _label(request, request.POST.get("label"))
    action = (
        svc.conversation_remove_label
        if request.POST.get("op") == "remove"
        else svc.conversation_add_label
    )
    return _run(request, conversation, action, label=label, actor=request.user)


@require_POST
@tenant_view("inbox.view")
def conversation_unread(request, conversation_id):
    conversation = member_conversation(request, conversation_id)
    svc.conversation_mark_unread(conversation=conversation, user=request.user)
    return HttpResponse(status=204)


@require_POST
@tenant_view("inbox.view")
def conversation_reply(request, conversation_id):
    """The composer: mode=reply sends to the customer, mode=note adds a private note."""
    conversation = _writable_conversation(request, conversation_id)
    text = request.POST.get("text", "")
    if request.POST.get("mode") == "note":
        return _run(request, conversation, svc.note_create, author=request.user, text=text)
    try:
        from inbox.services.sending import MessageRejected, message_send
    except ImportError:
        return _thread(
            request, conversation, error="Sending is not available on this server.", status=503
        )
    try:
        message_send(conversation=conversation, text=text, author_user=request.user)
    except MessageRejected as error:
        return _thread(request, conversation, error=error.reason, status=422)
    return _thread(request, conversation)


@require_POST
@tenant_view("inbox.view")
def message_retry(request, conversation_id, message_id):
    conversation = _writable_conversation(request, conversation_id)
    message = message_for_conversation(conversation, message_id)
    try:
        from inbox.services.sending import MessageRejected
        from inbox.services.sending import message_retry as retry
    except ImportError:
        return _thread(request, conversation, error="Retry is not available.", status=503)
    try:
        retry(message=message, actor=request.user)
    except MessageRejected as error:
        return _thread(request, conversation, error=error.reason, status=422)
    return _thread(request, conversation)


@require_POST
@tenant_view("inbox.view")
def bulk_action(request):
    """The same actions on selected conversations: POST ids=<id>&ids=… action=… value=…"""
    require_perm(request, "inbox.reply")
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
                conversations=conversations, assignee=_member_user(request, value), actor=actor
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
            label = _label(request, value)
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
    except (svc.ConversationActionError, ValueError):
        return HttpResponseBadRequest("bad value")
    return JsonResponse({"done": done, "ids": [c.pk for c in conversations]})


@require_POST
@tenant_view("inbox.view")
def contact_edit(request, contact_id):
    from inbox.models import Contact
    from tenants.access import access_object

    contact = access_object(request, Contact, contact_id, write_perm="inbox.reply")
    changes = {f: request.POST[f] for f in ("name", "phone", "email") if f in request.POST}
    errors = {}
    try:
        contact_update(contact=contact, actor=request.user, **changes)
    except ContactEditError as error:
        errors = error.errors
        contact.refresh_from_db()
    return render(
        request,
        "inbox/_contact_fields.html",
        {"contact": contact, "errors": errors, "can_reply": True, "saved": not errors},
        status=422 if errors else 200,
    )


@require_POST
@tenant_view("inbox.view")
def saved_view_create(request):
    name = (request.POST.get("name") or "").strip()[:80]
    if not name:
        return HttpResponseBadRequest("name")
    shared = request.POST.get("shared") == "1"
    if shared and not has_perm(request.membership, "settings.manage"):
        raise PermissionDenied
    from django.http import QueryDict

    filters = ConversationFilters.from_querydict(QueryDict(request.POST.get("filters", "")))
    view = SavedView.objects.create(
        tenant=request.tenant,
        name=name,
        owner=None if shared else request.user,
        shared=shared,
        filters=filters.to_querydict(),
    )
    return JsonResponse({"id": view.pk, "url": f"?{filters.urlencode()}"}, status=201)


@require_POST
@tenant_view("inbox.view")
def saved_view_delete(request, savedview_id):
    from django.db.models import Q

    # Another member's personal view is "not found", like a foreign object.
    mine_or_shared = SavedView.objects.for_tenant(request.tenant).filter(
        Q(shared=True) | Q(owner=request.user)
    )
    view = get_object_or_404(mine_or_shared, pk=savedview_id)
    if view.shared:
        require_perm(request, "settings.manage")
    view.delete()
    return HttpResponse(status=204)
