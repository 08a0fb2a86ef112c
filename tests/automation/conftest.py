"""Automation tests. Replies go through the channels work's ``message_send``
(``inbox.services.sending``); until that module is on this branch, a test-only stand-in with
the same signature and the same provider window checks takes its place."""

import sys
import types

import pytest
from django.db.models import F


class _MessageRejected(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class _ReplyWindowClosed(_MessageRejected):
    pass


def _stand_in_message_send(
    *,
    conversation,
    text,
    author_user=None,
    author_kind="agent",
    rule_name="",
    reply_to=None,
    now=None,
):
    from django.utils import timezone

    from inbox.models import Conversation, Message
    from inbox.providers import registry

    now = now or timezone.now()
    conversation = Conversation.objects.select_related("channel").get(pk=conversation.pk)
    problem = registry.get(conversation.channel.provider).reply_window_problem(
        last_customer_message_at=conversation.last_customer_message_at,
        business_messages_since_customer=conversation.business_messages_since_customer,
        now=now,
    )
    if problem:
        raise _ReplyWindowClosed(problem)
    message = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind="message",
        direction="out",
        author_kind=author_kind,
        author_user=author_user,
        rule_name=rule_name,
        text=text,
        status="queued",
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        business_messages_since_customer=F("business_messages_since_customer") + 1
    )
    return message


@pytest.fixture(autouse=True)
def _message_send_available(monkeypatch):
    try:
        import inbox.services.sending  # noqa: F401
    except ImportError:
        module = types.ModuleType("inbox.services.sending")
        module.message_send = _stand_in_message_send
        module.MessageRejected = _MessageRejected
        module.ReplyWindowClosed = _ReplyWindowClosed
        monkeypatch.setitem(sys.modules, "inbox.services.sending", module)
    yield
