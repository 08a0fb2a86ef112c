"""Tenant resolution and access helpers for pages.

A tenant page's URL starts with /t/<tenant_slug>/. `tenant_view` resolves the tenant once per
request from that slug and the signed-in user's membership; non-members get 404, exactly as
if the tenant did not exist. Objects are fetched with `access_object`, which answers 404 alike
for "does not exist" and "belongs to another tenant".
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

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
            if request.session.get(SESSION_TENANT_KEY) != tenant_slug:
                request.session[SESSION_TENANT_KEY] = tenant_slug
            return view(request, *args, **kwargs)

        wrapped.tenant_permission = perm
        return wrapped

    return decorator


def require_perm(request, perm: str) -> None:
    if not has_perm(request.membership, perm):
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
        require_perm(request, write_perm)
    return obj
