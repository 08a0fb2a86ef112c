"""A conversation's thread: newest page first, older pages on scroll up (keyset)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils.dateparse import parse_datetime

from inbox.models import Attachment, Conversation, Message

THREAD_PAGE_SIZE = 40
MAX_THREAD_PAGE_SIZE = 200


def encode_message_cursor(message) -> str:
    raw = f"{message.created_at.isoformat()}|{message.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_message_cursor(cursor: str) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        when = parse_datetime(moment)
        return (when, int(pk)) if when else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class ThreadPage:
    messages: list  # oldest first, ready to render top to bottom
    older_cursor: str | None


def _with_details(qs):
    return qs.select_related("author_user", "comment").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )


def thread_page(
    *, conversation: Conversation, before: str = "", size: int = THREAD_PAGE_SIZE
) -> ThreadPage:
    """The `size` messages before `before` (or the newest), in 2 queries whatever the size."""
    size = max(1, min(int(size), MAX_THREAD_PAGE_SIZE))
    qs = Message.objects.for_tenant(conversation.tenant_id).filter(conversation=conversation)
    position = decode_message_cursor(before)
    if position is not None:
        when, pk = position
        qs = qs.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))
    rows = list(_with_details(qs.order_by("-created_at", "-id"))[: size + 1])
    older = encode_message_cursor(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    rows.reverse()
    return ThreadPage(messages=rows, older_cursor=older)


def thread_changes(*, conversation: Conversation, since: datetime) -> list:
    """Messages created or changed (status, retry) since a moment: live-update catch-up."""
    qs = Message.objects.for_tenant(conversation.tenant_id).filter(
        conversation=conversation, updated_at__gt=since
    )
    return list(_with_details(qs.order_by("created_at", "id"))[:MAX_THREAD_PAGE_SIZE])


def past_conversations(*, conversation: Conversation, visible, limit: int = 10) -> list:
    """The contact's other conversations this member may see."""
    return list(
        visible.filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-last_message_at")[:limit]
    )
