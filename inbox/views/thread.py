"""The open conversation: the thread pane, older messages, the contact panel."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.shortcuts import redirect, render
from django.utils import timezone

from inbox.models import Label
from inbox.selectors.channel_usage import reply_allowance
from inbox.selectors.comments import contact_comments
from inbox.selectors.contact_merge import merge_suggestions
from inbox.selectors.conversations import visible_conversations
from inbox.selectors.csat import contact_ratings
from inbox.selectors.reply_window import reply_window_info
from inbox.selectors.teams import team_list
from inbox.selectors.templates import sendable_templates, templates_by_name
from inbox.selectors.thread import past_conversations, thread_page
from inbox.services.conversations import conversation_mark_read
from inbox.services.templates import supports_templates
from tenants.access import access_conversation, tenant_view
from tenants.models import Membership
from tenants.permissions import has_perm


def assignable_members(tenant):
    """Members a conversation can be assigned to (viewers cannot reply, so they are left out)."""
    return list(
        Membership.objects.for_tenant(tenant)
        .exclude(role="viewer")
        .select_related("user")
        .order_by("user__first_name", "user__email")
    )


def macro_choices(tenant) -> list:
    model = apps.get_model("automation", "Macro")
    return list(model.objects.for_tenant(tenant).order_by("name").only("id", "name"))


def _canned_responses(tenant) -> list:
    model = apps.get_model("automation", "CannedResponse")
    return list(model.objects.for_tenant(tenant).order_by("shortcut").values("shortcut", "text"))


def thread_context(request, conversation):
    page = thread_page(conversation=conversation)
    return {
        "conversation": conversation,
        "thread": page,
        "window": reply_window_info(conversation),
        "allowance": reply_allowance(conversation),
        "labels": list(Label.objects.for_tenant(request.tenant)),
        "members": assignable_members(request.tenant),
        "teams": team_list(tenant=request.tenant),
        "can_reply": has_perm(request.membership, "inbox.reply"),
        "canned_responses": _canned_responses(request.tenant),
        "macros": macro_choices(request.tenant),
        "snooze_default": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
        "conversation_labels": list(conversation.labels.all()),
        "template_choices": _template_choices(conversation),
    }


def _template_choices(conversation):
    """The composer's template picker, when the channel has templates (None otherwise)."""
    if not supports_templates(conversation.channel):
        return None
    return templates_by_name(sendable_templates(conversation=conversation))


@tenant_view("inbox.view")
def conversation_detail(request, conversation_id):
    """The thread pane (htmx) or the whole inbox with it open (direct link)."""
    conversation = access_conversation(request.membership, conversation_id)
    if not request.headers.get("HX-Request"):
        return redirect(f"/t/{request.tenant.slug}/inbox/?c={conversation.pk}")
    if request.GET.get("part") == "head":
        return render(request, "inbox/_thread_head.html", thread_context(request, conversation))
    conversation_mark_read(conversation=conversation, user=request.user)
    return render(request, "inbox/_thread.html", thread_context(request, conversation))


@tenant_view("inbox.view")
def thread_messages(request, conversation_id):
    """Older messages (`before=<cursor>`) for scroll-up."""
    conversation = access_conversation(request.membership, conversation_id)
    page = thread_page(conversation=conversation, before=request.GET.get("before", ""))
    return render(
        request,
        "inbox/_messages.html",
        {"conversation": conversation, "thread": page, "older_page": True},
    )


@tenant_view("inbox.view")
def contact_panel(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id)
    visible = visible_conversations(
        tenant=request.tenant, user=request.user, membership=request.membership
    )
    contact = conversation.contact
    can_reply = has_perm(request.membership, "inbox.reply")
    return render(
        request,
        "inbox/_contact_panel.html",
        {
            "conversation": conversation,
            "contact": contact,
            "identities": list(contact.identities.select_related("channel")),
            "past": past_conversations(conversation=conversation, visible=visible),
            "ratings": contact_ratings(contact=contact, visible=visible),
            "contact_comments": contact_comments(contact=contact, visible=visible),
            "conversation_labels": list(conversation.labels.all()),
            "can_reply": can_reply,
            "merge_suggestions": merge_suggestions(contact=contact) if can_reply else [],
        },
    )
