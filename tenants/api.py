"""The DRF foundation every API view builds on: tenant scoping, pagination, errors."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.api_contract import ID_REGEX


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
    Every request is checked against the operation's OpenAPI schema before the view runs.
    """

    read_permission: str | None = None
    write_permission: str | None = None
    # Object ids in URLs: digits that fit a bigint (anything else is a 404, never a DB error).
    lookup_value_regex = ID_REGEX

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}: narrow the tenant's queryset in "
                    "scoped_queryset() instead."
                )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        from tenants.api_contract import validate_request

        if request.method in ("POST", "PUT", "PATCH"):
            request._request.body  # noqa: B018 (over DATA_UPLOAD_MAX_MEMORY_SIZE: 413)
            if self.lookup_field in self.kwargs:
                self.get_object()  # no such object here: 404 before anything about the body
        validate_request(request)

    def scoped_queryset(self, queryset):
        return queryset

    def get_queryset(self):
        tenant = self.request.tenant
        return self.scoped_queryset(self.queryset.model.objects.for_tenant(tenant))

    @property
    def tenant(self):
        return self.request.tenant


ERROR_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    422: "unprocessable",
    415: "unsupported_media_type",
    429: "throttled",
}


# Validation error codes of rules the schema cannot state: the request fits the schema, so it
# is refused with 422 (or 409 for a clash with an existing object), never with 400.
RULE_CODES = {"does_not_exist": 422, "rule": 422, "overflow": 422, "unique": 409}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


def _leaf_codes(codes):
    if isinstance(codes, dict):
        return [c for value in codes.values() for c in _leaf_codes(value)]
    if isinstance(codes, list):
        return [c for value in codes for c in _leaf_codes(value)]
    return [codes]


def _rule_status(exc: exceptions.ValidationError) -> int | None:
    """422/409 when every error of `exc` is a rule the schema cannot state."""
    statuses = {RULE_CODES.get(code) for code in _leaf_codes(exc.get_codes())}
    if len(statuses) == 1 and None not in statuses:
        return statuses.pop()
    return None


def error_handler(exc, context):
    """Every API error as {"error": {"code", "message", "details"}}."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
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
    if isinstance(exc, exceptions.ValidationError) and (status_code := _rule_status(exc)):
        response.status_code = status_code
    code = ERROR_CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        message, details = _("The request is not valid."), response.data
        if response.status_code == 422:
            message = _("The request cannot be carried out.")
        elif response.status_code == 409:
            message = _("The request conflicts with an existing object.")
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
