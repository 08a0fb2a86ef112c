"""API authentication, permission, pagination and throttling defaults.

Kept apart from tenants.api because DRF imports these classes while it is itself loading.
"""

from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.throttling import SimpleRateThrottle

from tenants.access import SESSION_TENANT_KEY, membership_for
from tenants.permissions import has_perm
from tenants.services import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`: the key's tenant becomes request.tenant."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme != self.keyword or not raw.strip():
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Bearer <key>'."
            )
        api_key = api_key_authenticate(raw.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        request._request.tenant = api_key.tenant
        request._request.membership = None
        return (AnonymousUser(), api_key)

    def authenticate_header(self, request):
        return self.keyword


class TenantSessionAuthentication(SessionAuthentication):
    """The browser session; the tenant comes from X-Parley-Tenant or the session's current one."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        slug = request.headers.get("X-Parley-Tenant") or request.session.get(SESSION_TENANT_KEY)
        membership = membership_for(user, slug) if slug else None
        if membership is None:
            raise exceptions.NotFound("No such tenant.")
        request._request.tenant = membership.tenant
        request._request.membership = membership
        return (user, None)


class TenantPermission(permissions.BasePermission):
    """Reads need `read_permission`, writes `write_permission`; read-only keys only read."""

    def has_permission(self, request, view):
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            raise exceptions.NotAuthenticated("Authentication credentials were not provided.")
        write = request.method not in permissions.SAFE_METHODS
        perm = getattr(view, "write_permission" if write else "read_permission", None)
        api_key = request.auth if request.auth is not None else None
        if api_key is not None:
            if write and api_key.read_only:
                raise exceptions.PermissionDenied("This API key is read-only.")
            return perm is not None and not perm.startswith(("members.", "apikeys.", "owners."))
        membership = request._request.membership
        return perm is not None and has_perm(membership, perm)


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if request.auth is not None and hasattr(request.auth, "lookup"):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.lookup}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class DefaultCursorPagination(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        from tenants.pagination import page_size_parameter

        return [
            *[p for p in super().get_schema_operation_parameters(view) if p["name"] != "page_size"],
            page_size_parameter(self.page_size, self.max_page_size),
        ]
