"""Live-update catch-up: the page asks what changed since the last moment it saw.

Websocket pushes are only hints (the channel layer may drop them); the database is the
truth. `changes` answers which visible conversations changed since `since`; `rows` renders
fresh list rows for them (those no longer matching the filters are absent, so the page
drops them); `thread_changes` renders the open thread's new or updated messages.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inbox.models import Message
from inbox.selectors.conversations import (
    ConversationFilters,
    apply_filters,
    conversation_rows,
    visible_conversations,
)
from inbox.selectors.thread import thread_changes
from tenants.access import access_conversation, tenant_view

MAX_CHANGES = 200
# Transactions commit after their timestamps are taken: look a little further back.
OVERLAP = timedelta(seconds=5)


def _since(request):
    since = parse_datetime(request.GET.get("since", "") or "")
    if since is None or timezone.is_naive(since):
        return None
    return since - OVERLAP


@tenant_view("inbox.view")
def changes(request):
    now = timezone.now()
    since = _since(request)
    if since is None:
        return JsonResponse({"now": now.isoformat(), "conversation_ids": [], "reset": True})
    qs = visible_conversations(
        tenant=request.tenant, user=request.user, membership=request.membership
    ).filter(Q(updated_at__gt=since) | Q(last_message_at__gt=since))
    ids = list(qs.order_by("-updated_at").values_list("pk", flat=True)[: MAX_CHANGES + 1])
    # The open thread: a delivery status may change without touching the conversation.
    thread_changed = False
    open_id = request.GET.get("open", "")
    if open_id.isdigit():
        thread_changed = (
            Message.objects.for_tenant(request.tenant)
            .filter(
                conversation_id=int(open_id),
                conversation__in=visible_conversations(
                    tenant=request.tenant, user=request.user, membership=request.membership
                ),
                updated_at__gt=since,
            )
            .exists()
        )
    return JsonResponse(
        {
            "now": now.isoformat(),
            "conversation_ids": ids[:MAX_CHANGES],
            "thread_changed": thread_changed,
            "reset": len(ids) > MAX_CHANGES,
        }
    )


@tenant_view("inbox.view")
def rows(request):
    """List rows for `ids` that are visible and match the current filters."""
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:MAX_CHANGES]
    filters = ConversationFilters.from_querydict(request.GET)
    visible = visible_conversations(
        tenant=request.tenant, user=request.user, membership=request.membership
    )
    matching = apply_filters(visible, tenant=request.tenant, user=request.user, filters=filters)
    found = conversation_rows(
        tenant=request.tenant,
        user=request.user,
        membership=request.membership,
        ids=matching.filter(pk__in=ids).values_list("pk", flat=True),
    )
    return render(request, "inbox/_rows.html", {"conversations": found, "now": timezone.now()})


@tenant_view("inbox.view")
def thread_since(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id)
    since = _since(request) or (timezone.now() - OVERLAP)
    messages = thread_changes(conversation=conversation, since=since)
    return render(
        request,
        "inbox/_message_list.html",
        {"conversation": conversation, "messages": messages},
    )
