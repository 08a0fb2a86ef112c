import pytest
from django.utils import timezone

from inbox.commerce import notify
from inbox.models import Message
from inbox.services.sending import MessageRejected


class SentMessages(list):
    """Stands in for the inbox's message_send: records calls and stores a queued Message."""

    reject_with: str | None = None

    def __init__(self):
        super().__init__()
        self.calls = []  # extra keyword arguments of each call (rule_name)

    def __call__(self, *, conversation, text, author_user=None, author_kind="agent", **kw):
        self.calls.append(kw)
        if self.reject_with:
            raise MessageRejected(self.reject_with)
        message = Message.objects.create(
            tenant=conversation.tenant,
            conversation=conversation,
            channel=conversation.channel,
            direction="out",
            author_kind=author_kind,
            author_user=author_user,
            text=text,
            status="queued",
            created_at=timezone.now(),
        )
        self.append(message)
        return message


@pytest.fixture
def sent(monkeypatch):
    """Messages sent to customers by commerce (summaries, reminders)."""
    fake = SentMessages()
    monkeypatch.setattr(notify, "message_send", fake)
    return fake


@pytest.fixture
def crm_events(webhook_events):
    return webhook_events
