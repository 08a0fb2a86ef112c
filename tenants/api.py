"""The DRF foundation every API view builds on: tenant scoping, pagination, errors."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiKeyAuthScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A tenant API key."}


class SessionAuthScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api_auth.TenantSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser session (the tenant comes from X-Parley-Tenant).",
        }


class TenantScopedViewSet(viewsets.GenericViewSet):
    """Every queryset is scoped to request.tenant; subclasses cannot bypass it by accident.

    Subclasses set `queryset` (any tenant-owned model's manager) and narrow it further in
    `scoped_queryset(self, queryset)`; overriding get_queryset or get_object is refused.
    """

    read_permission: str | None = None
    write_permission: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}: narrow the tenant's queryset in "
                    "scoped_queryset() instead."
                )

    def scoped_queryset(self, queryset):
        return queryset

    def get_queryset(self):
        tenant = self.request.tenant
        return self.scoped_queryset(self.queryset.model.objects.for_tenant(tenant))

    @property
    def tenant(self):
        return self.request.tenant


_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_handler(exc, context):
    """Every API error as {"error": {"code", "message", "details"}}."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        message, details = _("The request is not valid."), response.data
    else:
        detail = (
            response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        )
        message, details = str(detail), {}
        code = getattr(detail, "code", None) or code
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response


def conflict(message: str, details=None) -> Response:
    return Response(
        {"error": {"code": "conflict", "message": message, "details": details or {}}},
        status=status.HTTP_409_CONFLICT,
    )
