"""Attachment media and posts' pictures, served through Parley (never hot-linked from the
provider)."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404, HttpResponse

from inbox.models import Attachment
from inbox.providers.base import ProviderError
from inbox.services.media import attachment_fetch, post_thumbnail_fetch
from tenants.access import access_attachment, access_post, tenant_view

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
    return _locked_down(response)


def _locked_down(response):
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    return response


@tenant_view("inbox.view")
def post_thumbnail(request, post_id: int):
    """A post's picture, fetched server-side on first use like an attachment (also right
    after the post's details arrive), only for a member who sees one of its conversations."""
    post = access_post(request.membership, post_id)
    try:
        post = post_thumbnail_fetch(post=post)
    except ProviderError as exc:
        log.info("picture of post %s: %s", post.pk, exc.code)
        return HttpResponse(exc.message, status=502, content_type="text/plain")
    if not post.thumbnail:
        raise Http404
    response = FileResponse(post.thumbnail.open("rb"), content_type=post.thumbnail_mime_type)
    return _locked_down(response)
