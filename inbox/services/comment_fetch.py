"""Reading comments and posts back from the provider: a video's comments through the
provider's list API (TikTok's ``comment.update`` carries no author; backfill of a new post;
catch-up after downtime), and a post's caption, picture and link."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from inbox.ingest.comments import comment_apply, post_upsert
from inbox.models import Channel, Post
from inbox.providers import registry
from inbox.providers.base import ProviderError
from inbox.services import http


def comments_fetch(*, channel: Channel, post_id: str, comment_ids=(), max_pages: int = 20) -> int:
    """Read a video's comments through the provider's list API and store them (a comment
    the webhook announced, a backfill, a catch-up after downtime). Returns how many were
    read. Idempotent: what is stored already is only updated."""
    surface = registry.comments(channel.provider)
    if surface is None or not surface.CAN_LIST:
        return 0
    cursor, total = "", 0
    for _page in range(max_pages):
        try:
            with http.client_for(channel) as client:
                events, cursor = surface.list_comments(
                    client,
                    base_url=http.base_url_for(channel),
                    credentials=channel.credentials,
                    account_id=channel.account_id,
                    post_id=post_id,
                    comment_ids=tuple(comment_ids),
                    cursor=cursor,
                    **http.provider_opts(channel.provider),
                )
        except ProviderError:
            if total:
                return total
            raise
        # Parents first, so a reply finds the comment it answers.
        for event in sorted(events, key=lambda e: (bool(e.parent_id), e.timestamp)):
            with transaction.atomic():
                comment_apply(channel=channel, event=event)
        total += len(events)
        if not cursor:
            break
    return total


def comments_catch_up(*, channel: Channel, max_posts: int = 20) -> int:
    """After downtime: read again the comments of the channel's most recent posts."""
    surface = registry.comments(channel.provider)
    if surface is None or not surface.CAN_LIST:
        return 0
    posts = (
        Post.objects.for_tenant(channel.tenant)
        .filter(channel=channel)
        .order_by("-updated_at")
        .values_list("external_id", flat=True)[:max_posts]
    )
    return sum(comments_fetch(channel=channel, post_id=post_id) for post_id in posts)


def post_fetch(*, channel: Channel, post_id: str) -> Post:
    """The post's caption, picture and link from the provider (once)."""
    surface = registry.comments(channel.provider)
    post = Post.objects.for_tenant(channel.tenant).get(channel=channel, external_id=post_id)
    if surface is None or post.details_fetched_at is not None:
        return post
    with http.client_for(channel) as client:
        info = surface.fetch_post(
            client,
            base_url=http.base_url_for(channel),
            credentials=channel.credentials,
            account_id=channel.account_id,
            post_id=post_id,
            **http.provider_opts(channel.provider),
        )
    with transaction.atomic():
        post = post_upsert(channel=channel, post_id=post_id, info=info)
        Post.objects.filter(pk=post.pk).update(details_fetched_at=timezone.now())
    return post
