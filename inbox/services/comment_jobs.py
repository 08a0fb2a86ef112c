"""Automation's actions on a comment (hide, reply publicly, reply privately) on the send path.

A rule's action is an activity line in the comment's thread, queued like an outbound message
and delivered through ``message_deliver``'s claim (``comment_action_deliver``, its own task
``inbox.comment_action_deliver``): claimed once, a provider that is down (5xx, 429,
timeout) retried with the same backoff as a message (up to ``MAX_ATTEMPTS``), then shown as
failed in the thread; a refusal (the provider's 4xx with its reason, or a limit checked
before the call) fails at once and is explained on that line. The sweeper re-enqueues a line
left behind, as it does a message.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Comment, Message
from inbox.providers.base import ProviderError

from .comments import (
    CommentActionRefused,
    comment_reply_private,
    comment_reply_public,
    comment_set_hidden,
    hidden_line,
    private_reply_line,
    public_reply_line,
)
from .sending import (
    COMMENT_ACTION_KEY,
    _delivery_failed,
    _delivery_succeeded,
    message_deliver,
)

COMMENT_ACTION = COMMENT_ACTION_KEY
JOB_ACTIONS = ("hide", "reply", "private_reply")


def _pending_text(action: str, rule_name: str) -> str:
    texts = {
        "hide": _("Rule “%(rule)s” hides the comment"),
        "reply": _("Rule “%(rule)s” replies publicly"),
        "private_reply": _("Rule “%(rule)s” replies privately"),
    }
    return texts[action] % {"rule": rule_name}


def comment_action_queue(
    *, comment: Comment, action: str, rule_name: str, text: str = "", run_id: int | None = None
) -> Message:
    """The action as a queued line in the comment's thread (delivered by ``message_deliver``)."""
    if action not in JOB_ACTIONS:
        raise ValueError(f"unknown comment action {action!r}")
    message = Message.objects.create(
        tenant_id=comment.tenant_id,
        conversation_id=comment.conversation_id,
        channel_id=comment.channel_id,
        kind=Message.Kind.ACTIVITY,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.BOT,
        rule_name=rule_name,
        text=_pending_text(action, rule_name),
        status=Message.Status.QUEUED,
        metadata={
            COMMENT_ACTION: action,
            "comment_pk": comment.pk,
            "comment_id": comment.external_id,
            "reply_text": text,
            "rule_run": run_id,
        },
    )
    effects.live_hint(
        tenant_id=comment.tenant_id,
        event="message.created",
        conversation_id=comment.conversation_id,
        message_id=message.pk,
    )
    return message


def comment_action_deliver(*, message_id: int, now=None) -> str | None:
    """Claim a due comment-action line and make one attempt (the send path's claim)."""
    return message_deliver(message_id=message_id, now=now, deliver=_attempt)


def _attempt(message: Message, now) -> str:
    """One attempt of a claimed comment-action line; the outcome is recorded by the send
    path (``_delivery_succeeded`` / ``_delivery_failed``), like a message's."""
    meta = message.metadata or {}
    action = meta[COMMENT_ACTION]
    comment = (
        Comment.objects.select_related("channel", "post", "tenant")
        .filter(pk=meta.get("comment_pk"), tenant=message.tenant_id)
        .first()
    )
    if comment is None:
        return _delivery_failed(
            message, ProviderError(_("This comment was deleted."), permanent=True), now
        )
    who = {"actor": None, "author_kind": "bot", "rule_name": message.rule_name}
    reply_text = str(meta.get("reply_text") or "")
    try:
        if action == "hide":
            comment_set_hidden(comment=comment, hidden=True, record_activity=False, **who)
            done = hidden_line(True, rule_name=message.rule_name)
        elif action == "reply":
            comment_reply_public(comment=comment, text=reply_text, **who)
            done = public_reply_line(rule_name=message.rule_name, text=reply_text)
        else:
            comment_reply_private(comment=comment, text=reply_text, record_activity=False, **who)
            done = private_reply_line(rule_name=message.rule_name, text=reply_text)
    except CommentActionRefused as refused:
        error = refused.provider_error or ProviderError(
            refused.reason, code=refused.code, permanent=True
        )
        return _delivery_failed(message, error, now)
    Message.objects.filter(pk=message.pk).update(text=done, updated_at=timezone.now())
    return _delivery_succeeded(message, None, now)
