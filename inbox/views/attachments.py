"""Attachment media, served through Parley (never hot-linked from the provider)."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404, HttpResponse

from inbox.models import Attachment
from inbox.providers.base import ProviderError
from inbox.services.media import attachment_fetch
from tenants.access import access_attachment, tenant_view

log = logging.getLogger(__name__)


@tenant_view("inbox.view")
def attachment_media(request, attachment_id: int):
    """Serve an attachment's bytes, fetching them from the provider on first use (never
    hot-linked: the browser only talks to Parley). Received media is also prefetched in the
    background right after the message arrives."""
    # Agents who see only their own conversations see only those conversations' files.
    attachment = access_attachment(request.membership, attachment_id)
    try:
        attachment = attachment_fetch(attachment=attachment)
    except ProviderError as exc:
        log.info("attachment %s: %s", attachment.pk, exc.code)
        return HttpResponse(exc.message, status=502, content_type="text/plain")
    if not attachment.file:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.mime_type or "application/octet-stream"
    )
    if attachment.kind not in (Attachment.Kind.IMAGE, Attachment.Kind.STICKER):
        response["Content-Disposition"] = "attachment"
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    return response
