"""The reply window the composer shows: open with time left, or closed with the reason.

Both come from the provider's module. ``reply_window_problem`` is the one definition of the
window: the composer, the API, automation and the send itself (``message_send``) ask it, so the
composer says exactly what sending would say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from inbox.providers import registry


@dataclass(frozen=True)
class ReplyWindow:
    open: bool
    reason: str = ""
    closes_at: datetime | None = None
    note: str = ""  # the provider's word on how the reply goes (LINE: reply token or push)

    @property
    def seconds_left(self) -> int | None:
        if self.closes_at is None:
            return None
        return max(0, int((self.closes_at - timezone.now()).total_seconds()))


def reply_tag(conversation, author_kind: str, now: datetime) -> str:
    """The provider's tag for a reply sent now (Messenger's HUMAN_AGENT), or ""."""
    return registry.get(conversation.channel.provider).reply_tag(
        author_kind=author_kind,
        last_customer_message_at=conversation.last_customer_message_at,
        now=now,
    )


def reply_window_problem(
    *, conversation, author_kind: str = "agent", now: datetime | None = None
) -> str | None:
    """Why the provider would refuse a reply now, or None."""
    now = now or timezone.now()
    module = registry.get(conversation.channel.provider)
    return module.reply_window_problem(
        last_customer_message_at=conversation.last_customer_message_at,
        business_messages_since_customer=conversation.business_messages_since_customer,
        now=now,
        tag=reply_tag(conversation, author_kind, now),
    )


def reply_window_info(conversation, *, now: datetime | None = None) -> ReplyWindow:
    now = now or timezone.now()
    problem = reply_window_problem(conversation=conversation, author_kind="agent", now=now)
    if problem:
        return ReplyWindow(open=False, reason=str(problem), closes_at=None)
    closes_at = None
    module = registry.get(conversation.channel.provider)
    window = module.reply_window(author_kind="agent")  # None: the provider has no window
    if conversation.last_customer_message_at is not None and window is not None:
        closes_at = conversation.last_customer_message_at + window
    note = module.reply_note(
        last_customer_message_at=conversation.last_customer_message_at, now=now
    )
    return ReplyWindow(open=True, closes_at=closes_at, note=str(note))
