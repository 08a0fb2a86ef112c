"""The one webhook endpoint, ``/webhooks/<provider>/``: GET answers the provider's handshake
(Meta), POST verifies, stores and enqueues (``intake.webhook_ingest``)."""

from __future__ import annotations

import logging

import psycopg
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from inbox.ingest.intake import webhook_ingest
from inbox.providers import registry

log = logging.getLogger(__name__)


def _too_big(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.WEBHOOK_MAX_BODY_BYTES
    except ValueError:
        return False


@csrf_exempt
def provider_webhook(request, provider: str):
    try:
        module = registry.get(provider)
    except LookupError:
        raise Http404 from None
    if request.method == "GET":
        challenge = module.verification_challenge(request.GET, settings.META_VERIFY_TOKEN)
        if challenge is None:
            return HttpResponse("forbidden", status=403, content_type="text/plain")
        return HttpResponse(challenge, content_type="text/plain")
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    if _too_big(request):
        return HttpResponse("payload too large", status=413, content_type="text/plain")
    try:
        raw = request.body
    except RequestDataTooBig:
        return HttpResponse("payload too large", status=413, content_type="text/plain")
    try:
        result = webhook_ingest(provider=provider, headers=request.headers, raw_body=raw)
    except (DatabaseError, psycopg.Error):
        log.exception("webhook %s: database unavailable", provider)
        # 503 makes the provider retry later; nothing was half-written (one INSERT).
        return HttpResponse("unavailable", status=503, content_type="text/plain")
    body = {200: "ok", 401: "bad signature", 413: "payload too large"}.get(result.status, "")
    return HttpResponse(body, status=result.status, content_type="text/plain")
