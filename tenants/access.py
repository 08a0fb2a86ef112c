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
from django.http import Http404
from django.utils import timezone

from inbox.models import Message
from inbox.selectors.conversations import conversation_for_member
from tenants.locale import apply_tenant_default, tenant_zone
from tenants.models import Membership
from tenants.permissions import has_perm

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
            if request.session.get(SESSION_TENANT_KEY) != tenant_slug:
                request.session[SESSION_TENANT_KEY] = tenant_slug
            return view(request, *args, **kwargs)

        wrapped.tenant_permission = perm
        return wrapped

    return decorator


def require_perm(membership, perm: str) -> None:
    if not has_perm(membership, perm):
        raise PermissionDenied


def access_object(request, model_or_queryset, pk, *, write_perm: str | None = None):
    """The tenant's object with this pk, or 404 (missing and foreign look the same).

    With write_perm, a member whose role lacks it gets 403 — after the 404 check, so a
    stranger never learns that the object exists.
    """
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    try:
        obj = queryset.for_tenant(request.tenant).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write_perm is not None:
        require_perm(request.membership, write_perm)
    return obj


def access_conversation(membership, conversation_id, *, write=False):
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


def access_message(membership, message_id, *, conversation, write=False):
    """A message of `conversation` (already accessed by this member)."""
    message = (
        Message.objects.for_tenant(membership.tenant)
        .filter(pk=message_id, conversation=conversation)
        .first()
    )
    if message is None:
        raise Http404
    if write:
        require_perm(membership, "inbox.reply")
    return message
