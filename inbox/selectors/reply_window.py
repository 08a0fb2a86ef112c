"""The reply window the composer shows: open with time left, or closed with the reason.

The reason comes from the channels work (`inbox.services.sending.reply_window_problem`) when
it is present, so the composer says exactly what sending would say; the time left is
computed from the providers' windows (TikTok 48 h, WhatsApp 24 h, Messenger 7 days for a
human agent with the HUMAN_AGENT tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

WINDOWS = {
    "tiktok": timedelta(hours=48),
    "whatsapp": timedelta(hours=24),
    "messenger": timedelta(days=7),
}
TIKTOK_MAX_BUSINESS_MESSAGES = 10


@dataclass(frozen=True)
class ReplyWindow:
    open: bool
    reason: str = ""
    closes_at: datetime | None = None

    @property
    def seconds_left(self) -> int | None:
        if self.closes_at is None:
            return None
        return max(0, int((self.closes_at - timezone.now()).total_seconds()))


def _fallback_problem(conversation, now) -> str | None:
    provider = conversation.channel.provider
    last = conversation.last_customer_message_at
    if last is None:
        return _("The customer must write first; this customer has not written yet.")
    window = WINDOWS.get(provider, timedelta(hours=24))
    if now - last > window:
        return _("The reply window has closed; wait for the customer to write again.")
    if (
        provider == "tiktok"
        and conversation.business_messages_since_customer >= TIKTOK_MAX_BUSINESS_MESSAGES
    ):
        return _("TikTok allows at most 10 messages before the customer answers.")
    return None


def reply_window_info(conversation, *, now: datetime | None = None) -> ReplyWindow:
    now = now or timezone.now()
    try:
        from inbox.services.sending import reply_window_problem
    except ImportError:
        problem = _fallback_problem(conversation, now)
    else:
        problem = reply_window_problem(conversation=conversation, author_kind="agent", now=now)
    closes_at = None
    if conversation.last_customer_message_at is not None:
        window = WINDOWS.get(conversation.channel.provider, timedelta(hours=24))
        closes_at = conversation.last_customer_message_at + window
    if problem:
        return ReplyWindow(open=False, reason=str(problem), closes_at=None)
    return ReplyWindow(open=True, closes_at=closes_at)
