"""Tenant resolution and access helpers: the one place that fetches a tenant's object by id.

A tenant page's URL starts with /t/<tenant_slug>/. `tenant_view` resolves the tenant once per
request from that slug and the signed-in user's membership; non-members get 404, exactly as
if the tenant did not exist.

Objects are fetched with `access_<entity>(membership, <entity>_id, write=False)`: 404 alike for
"does not exist", "belongs to another tenant" and "hidden from this member"; with
`write=True`, 403 for a role that may read the object but not change it (checked after the
404, so a stranger never learns that the object exists).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from inbox.automation.models import (
    AutoReplyRule,
    CannedResponse,
    CommentRule,
    Holiday,
    Macro,
)
from inbox.commerce.models import Booking, Order
from inbox.models import (
    Attachment,
    Channel,
    Comment,
    Contact,
    Conversation,
    Label,
    Message,
    MessageTemplate,
    Post,
    SavedView,
    Team,
)
from inbox.outbound_webhooks.models import WebhookDelivery, WebhookSubscription
from inbox.selectors.conversations import conversation_for_member, visible_conversations
from signals_app.models import SignalKeyword
from tenants.locale import apply_tenant_default, tenant_zone
from tenants.models import ApiKey, Invitation, Membership
from tenants.permissions import has_perm
from tenants.presence import member_seen

SESSION_TENANT_KEY = "current_tenant"


def membership_for(user, tenant_slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("tenant", "user")
        .filter(user=user, tenant__slug=tenant_slug)
        .first()
    )


def tenant_view(perm: str):
    """Decorate a page view of a tenant: resolves request.tenant and request.membership."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, tenant_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for(request.user, tenant_slug)
            if membership is None:
                raise Http404("No such tenant.")
            if not has_perm(membership, perm):
                raise PermissionDenied
            request.tenant = membership.tenant
            request.membership = membership
            apply_tenant_default(request, membership.tenant)
            timezone.activate(tenant_zone(membership.tenant))
            member_seen(tenant_id=membership.tenant_id, user_id=request.user.pk)
            if request.session.get(SESSION_TENANT_KEY) != tenant_slug:
                request.session[SESSION_TENANT_KEY] = tenant_slug
            return view(request, *args, **kwargs)

        wrapped.tenant_permission = perm
        return wrapped

    return decorator


def require_perm(membership, perm: str) -> None:
    if not has_perm(membership, perm):
        raise PermissionDenied


def _tenant_object(queryset, membership, pk, *, write_perm: str | None = None):
    """The tenant's object with this pk, or 404 (missing and foreign look the same).

    With write_perm, a member whose role lacks it gets 403 — after the 404 check, so a
    stranger never learns that the object exists.
    """
    queryset = getattr(queryset, "objects", queryset)
    try:
        obj = queryset.for_tenant(membership.tenant).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write_perm is not None:
        require_perm(membership, write_perm)
    return obj


def _write_perm(write: bool, perm: str) -> str | None:
    return perm if write else None


# --- The inbox --------------------------------------------------------------------------------
def access_conversation(membership, conversation_id, *, write=False) -> Conversation:
    """A conversation this member may see (agents may be limited to their own and unassigned)."""
    conversation = conversation_for_member(
        tenant=membership.tenant,
        user=membership.user,
        membership=membership,
        conversation_id=conversation_id,
    )
    if conversation is None:
        raise Http404
    if write:
        require_perm(membership, "inbox.reply")
    return conversation


def access_message(membership, message_id, *, conversation, write=False) -> Message:
    """A message of `conversation` (which the caller has already accessed)."""
    queryset = Message.objects.filter(conversation=conversation)
    return _tenant_object(
        queryset, membership, message_id, write_perm=_write_perm(write, "inbox.reply")
    )


def access_comment(membership, comment_id, *, conversation=None, write=False) -> Comment:
    """A comment shown in a conversation this member may see (of ``conversation`` when the
    caller has already accessed it)."""
    queryset = Comment.objects.select_related("channel", "post").filter(
        placeholder=False, conversation__isnull=False
    )
    if conversation is not None:
        queryset = queryset.filter(conversation=conversation)
    comment = _tenant_object(
        queryset, membership, comment_id, write_perm=_write_perm(write, "inbox.reply")
    )
    if conversation is None:
        access_conversation(membership, comment.conversation_id)
    return comment


def access_attachment(membership, attachment_id) -> Attachment:
    """An attachment of a conversation this member may see."""
    queryset = Attachment.objects.select_related("message__channel", "message__conversation")
    attachment = _tenant_object(queryset, membership, attachment_id)
    access_conversation(membership, attachment.message.conversation_id)
    return attachment


def access_post(membership, post_id) -> Post:
    """A post under which this member may see at least one conversation."""
    post = _tenant_object(Post.objects.select_related("channel"), membership, post_id)
    visible = visible_conversations(
        tenant=membership.tenant, user=membership.user, membership=membership
    )
    if not visible.filter(post=post).exists():
        raise Http404
    return post


def access_contact(membership, contact_id, *, write=False) -> Contact:
    return _tenant_object(
        Contact, membership, contact_id, write_perm=_write_perm(write, "inbox.reply")
    )


def access_label(membership, label_id, *, write=False) -> Label:
    return _tenant_object(
        Label, membership, label_id, write_perm=_write_perm(write, "labels.manage")
    )


def access_saved_view(membership, saved_view_id, *, write=False) -> SavedView:
    """A shared view or one of the member's own; another member's personal view is 404."""
    queryset = SavedView.objects.filter(Q(shared=True) | Q(owner=membership.user))
    view = _tenant_object(queryset, membership, saved_view_id)
    if write and view.shared:
        require_perm(membership, "settings.manage")
    return view


def access_team(membership, team_id, *, write=False) -> Team:
    """A team of the business: everyone in it may see its teams (the inbox's queues);
    changing one needs `teams.manage`."""
    return _tenant_object(Team, membership, team_id, write_perm=_write_perm(write, "teams.manage"))


def access_channel(membership, channel_id, *, write=False) -> Channel:
    return _tenant_object(
        Channel, membership, channel_id, write_perm=_write_perm(write, "channels.manage")
    )


def access_message_template(membership, template_id, *, write=False) -> MessageTemplate:
    """A channel's message template: readable by every member (agents send them), changed
    only by those who manage channels."""
    return _tenant_object(
        MessageTemplate.objects.select_related("channel"),
        membership,
        template_id,
        write_perm=_write_perm(write, "channels.manage"),
    )


# --- Automation -------------------------------------------------------------------------------
def access_auto_reply_rule(membership, rule_id, *, write=False) -> AutoReplyRule:
    return _tenant_object(
        AutoReplyRule, membership, rule_id, write_perm=_write_perm(write, "automation.manage")
    )


def access_comment_rule(membership, comment_rule_id, *, write=False) -> CommentRule:
    return _tenant_object(
        CommentRule, membership, comment_rule_id, write_perm=_write_perm(write, "automation.manage")
    )


def access_holiday(membership, holiday_id, *, write=False) -> Holiday:
    return _tenant_object(
        Holiday, membership, holiday_id, write_perm=_write_perm(write, "automation.manage")
    )


def access_canned_response(membership, canned_response_id, *, write=False) -> CannedResponse:
    return _tenant_object(
        CannedResponse,
        membership,
        canned_response_id,
        write_perm=_write_perm(write, "automation.manage"),
    )


def access_macro(membership, macro_id, *, write=False) -> Macro:
    """A macro of the business: everyone in the inbox may read (and run) it; changing one
    needs `automation.manage`."""
    return _tenant_object(
        Macro, membership, macro_id, write_perm=_write_perm(write, "automation.manage")
    )


# --- Commerce ---------------------------------------------------------------------------------
def access_order(membership, order_id, *, write=False) -> Order:
    return _tenant_object(
        Order, membership, order_id, write_perm=_write_perm(write, "commerce.edit")
    )


def access_booking(membership, booking_id, *, write=False) -> Booking:
    return _tenant_object(
        Booking, membership, booking_id, write_perm=_write_perm(write, "commerce.edit")
    )


# --- Outbound webhooks ------------------------------------------------------------------------
def access_webhook_subscription(
    membership, webhook_subscription_id, *, write=False
) -> WebhookSubscription:
    return _tenant_object(
        WebhookSubscription,
        membership,
        webhook_subscription_id,
        write_perm=_write_perm(write, "webhooks.manage"),
    )


def access_webhook_delivery(membership, webhook_delivery_id, *, write=False) -> WebhookDelivery:
    return _tenant_object(
        WebhookDelivery,
        membership,
        webhook_delivery_id,
        write_perm=_write_perm(write, "webhooks.manage"),
    )


# --- Signals ----------------------------------------------------------------------------------
def access_signal_keyword(membership, signal_keyword_id, *, write=False) -> SignalKeyword:
    return _tenant_object(
        SignalKeyword,
        membership,
        signal_keyword_id,
        write_perm=_write_perm(write, "signals.manage"),
    )


# --- People and keys --------------------------------------------------------------------------
def access_membership(membership, membership_id, *, write=False) -> Membership:
    return _tenant_object(
        Membership, membership, membership_id, write_perm=_write_perm(write, "members.manage")
    )


def access_invitation(membership, invitation_id, *, write=False) -> Invitation:
    return _tenant_object(
        Invitation, membership, invitation_id, write_perm=_write_perm(write, "members.manage")
    )


def access_api_key(membership, api_key_id, *, write=False) -> ApiKey:
    return _tenant_object(
        ApiKey, membership, api_key_id, write_perm=_write_perm(write, "apikeys.manage")
    )
