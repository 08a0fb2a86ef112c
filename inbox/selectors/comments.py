"""Reads about comments and posts: the posts of the inbox's filter, a comment conversation's
post and comments, a contact's other comments."""

from __future__ import annotations

from django.db.models import QuerySet

from inbox.models import Comment, Post


def recent_posts(*, tenant, limit: int = 50) -> list:
    """Posts with comments, most recent first (the inbox's "by post" filter)."""
    return list(
        Post.objects.for_tenant(tenant)
        .filter(comments__isnull=False)
        .select_related("channel")
        .distinct()
        .order_by("-updated_at", "-id")[:limit]
    )


def contact_comments(*, contact, visible, limit: int = 10) -> list:
    """The contact's comments (any post, any channel) in conversations this member sees."""
    return list(
        Comment.objects.for_tenant(contact.tenant_id)
        .filter(contact=contact, conversation__in=visible, placeholder=False)
        .exclude(state="deleted")
        .select_related("post", "channel")
        .order_by("-commented_at")[:limit]
    )


def comments_for_api(*, tenant) -> QuerySet:
    return (
        Comment.objects.for_tenant(tenant)
        .filter(placeholder=False)
        .select_related("post", "channel")
        .order_by("-commented_at", "-id")
    )
