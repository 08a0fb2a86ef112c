"""`Idempotency-Key` on POST: the same key and body answer the same, without doing it twice.

Use it on any DRF view or viewset by mixing `IdempotentMixin` in *before* the base class:

    class OrderViewSet(IdempotentMixin, mixins.CreateModelMixin, TenantScopedViewSet): ...

How it works. A POST carrying the header runs inside one transaction that first claims the key
with `INSERT … ON CONFLICT DO NOTHING` on a unique (tenant, scope, key) row, then runs the
handler, then stores the answer in that row. A concurrent request with the same key blocks on
the unique index until the first commits, then finds the stored answer and replays it; if the
first failed (a 5xx or an exception) its claim rolls back with its writes, so a retry starts
afresh. Keys are scoped per API key (or per signed-in user) and kept 24 hours.

- same key, same body  → the stored status and body, header `Idempotent-Replayed: true`
- same key, other body → 409 `{"error": {"code": "idempotency_key_reused", ...}}`
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from tenants.api_contract import InvalidIdempotencyKey
from tenants.api_schema import ContractAutoSchema
from tenants.models import IdempotencyKey

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Printable ASCII, at least one character that is not a space (HTTP drops the spaces around a
# header's value, so a key of spaces only would arrive empty).
KEY_PATTERN = r"^[ -~]*[!-~][ -~]*$"
KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


class _Replay(Exception):
    def __init__(self, response: Response):
        super().__init__("replay")
        self.response = response


def request_scope(request) -> str:
    """Who the key belongs to: the API key, else the signed-in user."""
    if request.auth is not None and getattr(request.auth, "pk", None) is not None:
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """JSON bodies are compared by content (key order and spacing do not matter)."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
        payload = canonical.encode()
    except (ValueError, UnicodeDecodeError):
        payload = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + payload).hexdigest()


def _claim(*, tenant, scope: str, key: str, method: str, path: str, fingerprint: str) -> bool:
    """Insert the claim; False when the (tenant, scope, key) row already exists.

    Blocks while another open transaction holds an uncommitted claim on the same key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tenants_idempotencykey"
            " (tenant_id, scope, key, method, path, fingerprint, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [tenant.pk, scope, key, method, path[:500], fingerprint, timezone.now()],
        )
        return cursor.fetchone() is not None


def idempotency_begin(request, key: str) -> IdempotencyKey | None:
    """Claim the key for this request (returns the row), or raise `_Replay` / 409.

    Must run inside the transaction that also runs the handler."""
    if len(key) > MAX_KEY_LENGTH or not re.fullmatch(KEY_PATTERN, key):
        raise InvalidIdempotencyKey()
    tenant = request.tenant
    scope = request_scope(request)
    method, path = request.method, request.path
    fingerprint = request_fingerprint(method, path, request._request.body)
    rows = IdempotencyKey.objects.for_tenant(tenant).filter(scope=scope, key=key)
    for _attempt in range(2):
        if _claim(
            tenant=tenant, scope=scope, key=key, method=method, path=path, fingerprint=fingerprint
        ):
            return rows.get()
        existing = rows.first()
        if existing is None:  # swept between the two statements
            continue
        if existing.created_at < timezone.now() - TTL:
            existing.delete()
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        replay = Response(existing.response_body, status=existing.status_code)
        replay["Idempotent-Replayed"] = "true"
        raise _Replay(replay)
    raise IdempotencyKeyReused()


def idempotency_finish(row: IdempotencyKey, response: Response) -> None:
    if response.status_code >= 500:
        transaction.set_rollback(True)
        return
    body = None
    if getattr(response, "data", None) is not None:
        body = json.loads(JSONRenderer().render(response.data))
    row.status_code = response.status_code
    row.response_body = body
    row.completed_at = timezone.now()
    row.save(update_fields=["status_code", "response_body", "completed_at"])


class IdempotentAutoSchema(ContractAutoSchema):
    """Documents the optional `Idempotency-Key` header on POST operations."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(
                OpenApiParameter(
                    HEADER,
                    KEY_SCHEMA,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Retry-safe POST: the same key and body within 24 hours "
                    "return the first answer without doing it again; another body with the "
                    f"same key gets 409. 1 to {MAX_KEY_LENGTH} printable ASCII characters "
                    "(a UUID, say), not only spaces; anything else gets 400 "
                    "`invalid_idempotency_key`.",
                )
            )
        return params


class IdempotentMixin:
    """Honours `Idempotency-Key` on every POST of the view (create and POST actions)."""

    schema = IdempotentAutoSchema()

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request._idempotency_row = None
        if request.method == "POST" and HEADER in request.headers:
            request._idempotency_row = idempotency_begin(request, request.headers[HEADER])

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        row = getattr(request, "_idempotency_row", None)
        if row is not None:
            idempotency_finish(row, response)
        return response


def idempotency_sweep(*, now=None) -> int:
    """Delete keys older than 24 hours; returns how many."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
