"""The agents' inbox: pages and htmx partials (list, counts, thread, contact panel, search).

Writes live in `views_actions.py`; live-update catch-up in `views_live.py`.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel, Label, Message
from inbox.saved_views import SavedView
from inbox.selectors.conversations import (
    ConversationFilters,
    conversation_for_member,
    conversation_page,
    visible_conversations,
)
from inbox.selectors.counts import sidebar_counts
from inbox.selectors.reply_window import reply_window_info
from inbox.selectors.search import contact_search, message_search
from inbox.selectors.thread import past_conversations, thread_page
from tenants.access import tenant_view
from tenants.models import Membership
from tenants.permissions import has_perm


def member_conversation(request, conversation_id):
    """The conversation if this member may see it; 404 alike for missing/foreign/hidden."""
    conversation = conversation_for_member(
        tenant=request.tenant,
        user=request.user,
        membership=request.membership,
        conversation_id=conversation_id,
    )
    if conversation is None:
        raise Http404
    return conversation


def _filters(request) -> ConversationFilters:
    return ConversationFilters.from_querydict(request.GET)


def _saved_views(request):
    from django.db.models import Q

    views = list(
        SavedView.objects.for_tenant(request.tenant).filter(Q(shared=True) | Q(owner=request.user))
    )
    for view in views:
        view.qs = ConversationFilters.from_querydict(view.filters).urlencode()
    return views


def _members(tenant):
    return list(
        Membership.objects.for_tenant(tenant)
        .exclude(role="viewer")
        .select_related("user")
        .order_by("user__first_name", "user__email")
    )


def count_links(filters: ConversationFilters, counts: dict) -> dict:
    """The sidebar's pre-filter links with their capped counts."""
    statuses = [("open", _("Open")), ("pending", _("Pending")), ("snoozed", _("Snoozed"))]
    assignees = [("me", _("Mine")), ("unassigned", _("Unassigned")), ("all", _("Everyone"))]
    groups = [
        [
            {
                "key": f"status:{value}",
                "label": label,
                "count": counts[f"status:{value}"],
                "qs": filters.urlencode(status=value),
                "active": filters.status == value,
            }
            for value, label in statuses
        ],
        [
            {
                "key": f"assignee:{value}",
                "label": label,
                "count": counts[f"assignee:{value}"],
                "qs": filters.urlencode(assignee=value),
                "active": filters.assignee == value,
            }
            for value, label in assignees
        ],
        [
            {
                "key": "unread",
                "label": _("Unread"),
                "count": counts["unread"],
                "qs": filters.urlencode(unread_only=not filters.unread_only),
                "active": filters.unread_only,
            }
        ],
    ]
    return {
        "count_links": groups,
        "all_status_qs": filters.urlencode(status="all"),
        "resolved_qs": filters.urlencode(status="resolved"),
        "filters": filters,
    }


def _counts_context(request, filters):
    counts = sidebar_counts(
        tenant=request.tenant, user=request.user, membership=request.membership, filters=filters
    )
    return count_links(filters, counts)


def _list_context(request, filters, cursor=""):
    page = conversation_page(
        tenant=request.tenant,
        user=request.user,
        membership=request.membership,
        filters=filters,
        cursor=cursor,
    )
    return {
        "page": page,
        "filters": filters,
        "filter_qs": filters.urlencode(),
        "now": timezone.now(),
    }


@tenant_view("inbox.view")
def inbox(request):
    """The three panes. `?c=<id>` opens a conversation; the filters come from the query."""
    filters = _filters(request)
    tenant = request.tenant
    context = _list_context(request, filters)
    open_id = request.GET.get("c")
    conversation = None
    if open_id:
        conversation = conversation_for_member(
            tenant=tenant, user=request.user, membership=request.membership, conversation_id=open_id
        )
    context.update(_counts_context(request, filters))
    context.update(
        {
            "nav": "inbox",
            "channels": list(Channel.objects.for_tenant(tenant).order_by("name")),
            "labels": list(Label.objects.for_tenant(tenant)),
            "members": _members(tenant),
            "saved_views": _saved_views(request),
            "can_reply": has_perm(request.membership, "inbox.reply"),
            "can_share_views": has_perm(request.membership, "settings.manage"),
            "open_conversation": conversation,
        }
    )
    if conversation is not None:
        context.update(_thread_context(request, conversation))
    return render(request, "inbox/inbox.html", context)


@tenant_view("inbox.view")
def conversation_list(request):
    """More rows of the list (infinite scroll) after `cursor`."""
    context = _list_context(request, _filters(request), request.GET.get("cursor", ""))
    return render(request, "inbox/_list_page.html", context)


@tenant_view("inbox.view")
def filter_counts(request):
    return render(request, "inbox/_counts.html", _counts_context(request, _filters(request)))


def _thread_context(request, conversation):
    page = thread_page(conversation=conversation)
    return {
        "conversation": conversation,
        "thread": page,
        "window": reply_window_info(conversation),
        "labels": list(Label.objects.for_tenant(request.tenant)),
        "members": _members(request.tenant),
        "can_reply": has_perm(request.membership, "inbox.reply"),
        "canned_responses": _canned_responses(request.tenant),
        "snooze_default": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
        "conversation_labels": list(conversation.labels.all()),
    }


def _canned_responses(tenant) -> list:
    from django.apps import apps

    try:
        model = apps.get_model("automation", "CannedResponse")
    except LookupError:
        return []
    return list(model.objects.for_tenant(tenant).order_by("shortcut").values("shortcut", "text"))


@tenant_view("inbox.view")
def conversation_detail(request, conversation_id):
    """The thread pane (htmx) or the whole inbox with it open (direct link)."""
    conversation = member_conversation(request, conversation_id)
    if not request.headers.get("HX-Request"):
        from django.shortcuts import redirect

        return redirect(f"/t/{request.tenant.slug}/inbox/?c={conversation.pk}")
    from inbox.services.conversations import conversation_mark_read

    if request.GET.get("part") == "head":
        return render(request, "inbox/_thread_head.html", _thread_context(request, conversation))
    conversation_mark_read(conversation=conversation, user=request.user)
    return render(request, "inbox/_thread.html", _thread_context(request, conversation))


@tenant_view("inbox.view")
def thread_messages(request, conversation_id):
    """Older messages (`before=<cursor>`) for scroll-up."""
    conversation = member_conversation(request, conversation_id)
    page = thread_page(conversation=conversation, before=request.GET.get("before", ""))
    return render(
        request,
        "inbox/_messages.html",
        {"conversation": conversation, "thread": page, "older_page": True},
    )


@tenant_view("inbox.view")
def contact_panel(request, conversation_id):
    conversation = member_conversation(request, conversation_id)
    visible = visible_conversations(
        tenant=request.tenant, user=request.user, membership=request.membership
    )
    contact = conversation.contact
    return render(
        request,
        "inbox/_contact_panel.html",
        {
            "conversation": conversation,
            "contact": contact,
            "identities": list(contact.identities.select_related("channel")),
            "past": past_conversations(conversation=conversation, visible=visible),
            "conversation_labels": list(conversation.labels.all()),
            "can_reply": has_perm(request.membership, "inbox.reply"),
        },
    )


@tenant_view("inbox.view")
def search(request):
    """Message and contact hits for the search box (whole history, accent-insensitive)."""
    query = (request.GET.get("q") or "").strip()[:200]
    visible = visible_conversations(
        tenant=request.tenant, user=request.user, membership=request.membership
    )
    hits = message_search(tenant=request.tenant, conversations=visible, query=query)
    contacts = contact_search(tenant=request.tenant, query=query)
    return render(
        request, "inbox/_search.html", {"query": query, "hits": hits, "contacts": contacts}
    )


def message_for_conversation(conversation, message_id):
    message = (
        Message.objects.for_tenant(conversation.tenant_id)
        .filter(pk=message_id, conversation=conversation)
        .first()
    )
    if message is None:
        raise Http404
    return message
