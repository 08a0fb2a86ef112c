"""Attachment bytes and posts' pictures: fetched from the provider server-side and stored, so
the agent's browser only ever talks to Parley (never hot-linked)."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inbox.models import Attachment, Post
from inbox.providers import registry
from inbox.providers.base import ProviderError, download

from . import http

log = logging.getLogger(__name__)

# Kinds that are links to public pages, not media to download.
NOT_MEDIA = {"shared_post"}


def attachment_fetch(*, attachment: Attachment) -> Attachment:
    """Download and store the attachment's bytes if they are not stored yet. Raises
    ``ProviderError`` when the provider cannot give them."""
    if attachment.file or attachment.kind in NOT_MEDIA:
        return attachment
    message = attachment.message
    channel = message.channel
    module = registry.get(channel.provider)
    with http.client_for(channel) as client:
        media = module.fetch_media(
            client,
            base_url=http.base_url_for(channel),
            credentials=channel.credentials,
            account_id=channel.account_id,
            media_id=attachment.provider_media_id,
            url=attachment.url,
            conversation_id=message.conversation.provider_conversation_id,
            message_id=message.provider_message_id or "",
            media_type=attachment.kind,
            **http.provider_opts(channel.provider),
        )
    ext = media.mime_type.split("/")[-1].split("+")[0][:8] or "bin"
    with transaction.atomic():
        locked = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if locked.file:  # fetched meanwhile
            return locked
        locked.file.save(f"{locked.pk}.{ext}", ContentFile(media.content), save=False)
        locked.mime_type = locked.mime_type or media.mime_type
        locked.size = len(media.content)
        locked.fetched_at = timezone.now()
        locked.save(update_fields=["file", "mime_type", "size", "fetched_at"])
    return locked


def attachments_prefetch(*, message_id: int) -> int:
    """After a message arrives: fetch its media in the background (best effort; the media
    view fetches on demand whatever is still missing)."""
    done = 0
    for attachment in Attachment.objects.select_related(
        "message__channel", "message__conversation"
    ).filter(message_id=message_id, file=""):
        try:
            attachment_fetch(attachment=attachment)
            done += 1
        except ProviderError as exc:
            log.info("attachment %s not fetched: %s", attachment.pk, exc.code)
    return done


# A post's picture: what the provider's CDN may answer and still be shown as an image.
THUMBNAIL_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}
MAX_THUMBNAIL_BYTES = 5 * 1024 * 1024


def post_thumbnail_fetch(*, post: Post) -> Post:
    """Download and store the post's picture if it is not stored yet (the media path of
    attachments: fetched server-side through the channel's client, served by Parley). Raises
    ``ProviderError`` when the provider cannot give it or gives something not an image."""
    if post.thumbnail or not post.thumbnail_url:
        return post
    if not post.thumbnail_url.startswith("https://") and not http.is_simulated(post.channel):
        raise ProviderError("The picture's address is not https.", code="bad_url", permanent=True)
    with http.client_for(post.channel) as client:
        media = download(client, post.thumbnail_url)
    ext = THUMBNAIL_TYPES.get(media.mime_type.lower())
    if ext is None or len(media.content) > MAX_THUMBNAIL_BYTES:
        raise ProviderError("The post's picture is not an image.", code="not_image", permanent=True)
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.thumbnail:  # fetched meanwhile
            return locked
        locked.thumbnail.save(f"{locked.pk}.{ext}", ContentFile(media.content), save=False)
        locked.thumbnail_mime_type = media.mime_type.lower()
        locked.save(update_fields=["thumbnail", "thumbnail_mime_type", "updated_at"])
    return locked
