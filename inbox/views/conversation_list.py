"""The inbox page: the three panes, more list rows, the sidebar counts, search."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel, Label
from inbox.selectors.comments import recent_posts
from inbox.selectors.conversations import (
    ConversationFilters,
    conversation_for_member,
    conversation_page,
    visible_or_none,
)
from inbox.selectors.counts import sidebar_counts
from inbox.selectors.saved_views import saved_view_list
from inbox.selectors.search import contact_search, search_messages
from inbox.selectors.teams import inbox_teams, team_list
from inbox.views.thread import assignable_members, macro_choices, thread_context
from tenants.access import tenant_view
from tenants.permissions import has_perm


def _filters(request) -> ConversationFilters:
    return ConversationFilters.from_querydict(request.GET)


def count_links(filters: ConversationFilters, counts: dict, teams=()) -> dict:
    """The sidebar's pre-filter links with their capped counts (team queues included)."""
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
        [
            {
                "key": f"kind:{value}",
                "label": label,
                "count": counts[f"kind:{value}"],
                "qs": filters.urlencode(kind="" if filters.kind == value else value),
                "active": filters.kind == value,
            }
            for value, label in (("messages", _("Messages")), ("comments", _("Comments")))
        ]
        + [
            {
                "key": "unanswered:1",
                "label": _("Unanswered comments"),
                "count": counts["unanswered:1"],
                "qs": filters.urlencode(unanswered=not filters.unanswered),
                "active": filters.unanswered,
            },
            {
                "key": "hidden:1",
                "label": _("Hidden comments"),
                "count": counts["hidden:1"],
                "qs": filters.urlencode(hidden=not filters.hidden),
                "active": filters.hidden,
            },
        ],
    ]
    if teams:
        groups.append(
            [
                {
                    "key": f"team:{team.pk}",
                    "label": team.name,
                    "count": counts[f"team:{team.pk}"],
                    "qs": filters.urlencode(
                        team="" if filters.team == str(team.pk) else str(team.pk)
                    ),
                    "active": filters.team == str(team.pk),
                }
                for team in teams
            ]
        )
    return {
        "count_links": groups,
        "all_status_qs": filters.urlencode(status="all"),
        "resolved_qs": filters.urlencode(status="resolved"),
        "filters": filters,
    }


def _counts_context(request, filters):
    teams = inbox_teams(tenant=request.tenant, user=request.user, membership=request.membership)
    counts = sidebar_counts(
        tenant=request.tenant,
        user=request.user,
        membership=request.membership,
        filters=filters,
        team_ids=[team.pk for team in teams],
    )
    return count_links(filters, counts, teams)


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
            "posts": recent_posts(tenant=tenant),
            "members": assignable_members(tenant),
            "teams": team_list(tenant=tenant),
            "macros": macro_choices(tenant),
            "saved_views": saved_view_list(tenant=request.tenant, user=request.user),
            "can_reply": has_perm(request.membership, "inbox.reply"),
            "can_share_views": has_perm(request.membership, "settings.manage"),
            "open_conversation": conversation,
        }
    )
    if conversation is not None:
        context.update(thread_context(request, conversation))
    return render(request, "inbox/inbox.html", context)


@tenant_view("inbox.view")
def conversation_list(request):
    """More rows of the list (infinite scroll) after `cursor`."""
    context = _list_context(request, _filters(request), request.GET.get("cursor", ""))
    return render(request, "inbox/_list_page.html", context)


@tenant_view("inbox.view")
def filter_counts(request):
    return render(request, "inbox/_counts.html", _counts_context(request, _filters(request)))


@tenant_view("inbox.view")
def search(request):
    """Message and contact hits for the search box (whole history, accent-insensitive)."""
    query = (request.GET.get("q") or "").strip()[:200]
    cursor = request.GET.get("cursor", "")
    page = search_messages(
        tenant=request.tenant,
        query=query,
        visible=visible_or_none(
            tenant=request.tenant, user=request.user, membership=request.membership
        ),
        cursor=cursor,
    )
    context = {"query": query, "page": page, "cursor": cursor}
    if cursor:  # infinite scroll: the next hits only
        return render(request, "inbox/_search_hits.html", context)
    context["contacts"] = contact_search(tenant=request.tenant, query=query)
    return render(request, "inbox/_search.html", context)
