"""Acting on a public comment: reply publicly (threaded under it), reply privately (one
message that opens a DM conversation linked to the comment), hide/unhide, delete, like.

The provider's limits are checked before any call (``comment_action_problem``: one
definition for the browser, the API and automation) and explained when refused; the call
itself happens outside any transaction, then the result is written with an activity line in
the comment's thread. Reading a video's comments back (TikTok's ``comment.update`` carries no
author; backfill; catch-up after downtime) and a post's details live in ``comment_fetch``.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.ingest.conversations import contact_upsert, conversation_for
from inbox.models import Channel, Comment, ContactIdentity, Conversation, Message
from inbox.outbound_webhooks.payloads import comment_payload, message_payload
from inbox.providers import registry
from inbox.providers.base import ProviderError
from inbox.services import http
from inbox.services._sql import insert_ignore_conflict

ACTIONS = ("reply", "private_reply", "hide", "unhide", "delete", "like", "unlike")
# Which capability of the provider each action needs.
CAPABILITY = {"unhide": "hide", "unlike": "like"}


class CommentActionRefused(Exception):
    """The action cannot be done; ``reason`` is for the person (or rule) that tried."""

    def __init__(self, reason: str, *, code: str = "rule", provider_error=None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        # The provider's own error when it refused or was down (its ``permanent`` tells a
        # retry apart from a refusal); None for a limit checked before the call.
        self.provider_error = provider_error


def comment_surface(comment: Comment):
    return registry.comments(comment.channel.provider)


def comment_action_problem(
    comment: Comment, action: str, *, text: str = "", now: datetime | None = None
) -> str | None:
    """Why the provider would refuse ``action`` on this comment now, or None."""
    now = now or timezone.now()
    surface = comment_surface(comment)
    label = registry.label(comment.channel.provider)
    if action not in ACTIONS:
        return _("Unknown action.")
    if surface is None or CAPABILITY.get(action, action) not in surface.ACTIONS:
        return _("%(provider)s does not offer this action on comments.") % {"provider": label}
    if comment.placeholder or comment.state == Comment.State.DELETED:
        return _("This comment was deleted.")
    if comment.channel.status == Channel.Status.DISCONNECTED:
        return _("This channel is disconnected; reconnect it to act on comments.")
    if action in ("reply", "private_reply"):
        if comment.is_own:
            return _("This is the shop's own comment.")
        if not text.strip():
            return _("Write the reply first.")
    if action == "reply" and len(text) > surface.MAX_REPLY_LENGTH:
        return _(
            "%(provider)s replies to comments are at most %(max)d characters (this one has %(n)d)."
        ) % {"provider": label, "max": surface.MAX_REPLY_LENGTH, "n": len(text)}
    if action == "private_reply":
        if comment.private_reply_at is not None:
            return _("This comment already has its private reply (one per comment).")
        window = surface.PRIVATE_REPLY_WINDOW
        if window is not None and now - comment.commented_at > window:
            return _("Private replies are possible only within %(days)d days of the comment.") % {
                "days": window.days
            }
    if action == "hide" and comment.state == Comment.State.HIDDEN:
        return _("This comment is already hidden.")
    if action == "unhide" and comment.state != Comment.State.HIDDEN:
        return _("This comment is not hidden.")
    if action == "like" and comment.liked:
        return _("This comment is already liked.")
    if action == "unlike" and not comment.liked:
        return _("This comment is not liked.")
    return surface.action_problem(action, comment=comment)


def _refuse_if(problem: str | None) -> None:
    if problem:
        raise CommentActionRefused(problem)


def _call(comment: Comment, method: str, **kwargs):
    channel = comment.channel
    surface = comment_surface(comment)
    try:
        with http.client_for(channel) as client:
            return getattr(surface, method)(
                client,
                base_url=http.base_url_for(channel),
                credentials=channel.credentials,
                account_id=channel.account_id,
                post_id=comment.post.external_id,
                comment_id=comment.external_id,
                **http.provider_opts(channel.provider),
                **kwargs,
            )
    except ProviderError as exc:
        raise CommentActionRefused(
            exc.message, code=f"provider_{exc.code or 'error'}", provider_error=exc
        ) from exc


def _locked(comment: Comment) -> Comment:
    return (
        Comment.objects.select_for_update(of=("self",))
        .select_related("channel", "post")
        .get(pk=comment.pk, tenant=comment.tenant_id)
    )


def _activity(comment: Comment, text: str, *, actor, author_kind: str, rule_name: str) -> None:
    """The action as a line in the comment's thread."""
    conversation_id = comment.conversation_id
    if conversation_id is None:
        return
    kind = Message.AuthorKind.BOT if author_kind == "bot" else Message.AuthorKind.AGENT
    message = Message.objects.create(
        tenant=comment.tenant,
        conversation_id=conversation_id,
        channel_id=comment.channel_id,
        kind=Message.Kind.ACTIVITY,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.SYSTEM if actor is None and kind != "bot" else kind,
        author_user=actor,
        rule_name=rule_name,
        text=text,
        status=Message.Status.SENT,
        metadata={"comment_id": comment.external_id},
    )
    effects.live_hint(
        tenant_id=comment.tenant_id,
        event="message.created",
        conversation_id=conversation_id,
        message_id=message.pk,
    )


def _updated(comment: Comment) -> None:
    if comment.message_id:
        Message.objects.filter(pk=comment.message_id).update(updated_at=timezone.now())
    effects.webhook_event(
        tenant=comment.channel.tenant,
        event_type="comment.updated",
        data=partial(comment_payload, comment),
    )


def _who(actor, rule_name: str) -> str:
    if rule_name:
        return _("rule “%(rule)s”") % {"rule": rule_name}
    if actor is not None:
        return actor.get_full_name() or actor.email
    return _("Parley")


def hidden_line(hidden: bool, *, actor=None, rule_name: str = "") -> str:
    text = _("Comment hidden by %(who)s") if hidden else _("Comment shown again by %(who)s")
    return text % {"who": _who(actor, rule_name)}


def private_reply_line(*, actor=None, rule_name: str = "", text: str) -> str:
    return _("Replied privately (%(who)s): “%(text)s”") % {
        "who": _who(actor, rule_name),
        "text": text,
    }


def public_reply_line(*, actor=None, rule_name: str = "", text: str) -> str:
    return _("Replied publicly (%(who)s): “%(text)s”") % {
        "who": _who(actor, rule_name),
        "text": text,
    }


def comment_reply_public(
    *, comment: Comment, text: str, actor=None, author_kind: str = "agent", rule_name: str = ""
) -> Comment:
    """A public reply threaded under the comment; returns the shop's new comment."""
    text = (text or "").strip()
    _refuse_if(comment_action_problem(comment, "reply", text=text))
    # Instagram attaches a reply to a reply to the top-level comment (the provider decides).
    new_id = _call(comment, "reply", text=text, parent_id=comment.parent_external_id)
    now = timezone.now()
    with transaction.atomic():
        comment = _locked(comment)
        reply = Comment(
            tenant=comment.tenant,
            channel=comment.channel,
            post=comment.post,
            external_id=new_id,
            parent=comment,
            parent_external_id=comment.external_id,
            conversation_id=comment.conversation_id,
            author_external_id=comment.channel.account_id,
            author_name=comment.channel.name,
            is_own=True,
            text=text,
            commented_at=now,
        )
        if insert_ignore_conflict(reply) is None:  # the provider's echo was stored first
            reply = Comment.objects.get(channel=comment.channel, external_id=new_id)
        elif comment.conversation_id:
            message = Message.objects.create(
                tenant=comment.tenant,
                conversation_id=comment.conversation_id,
                channel=comment.channel,
                kind=Message.Kind.COMMENT,
                direction=Message.Direction.OUT,
                author_kind=author_kind,
                author_user=actor,
                rule_name=rule_name,
                text=text,
                provider_message_id=f"comment:{new_id}"[:191],
                status=Message.Status.SENT,
                sent_at=now,
                created_at=now,
                metadata={"type": "comment", "comment_id": new_id, "reply_to": comment.external_id},
            )
            Comment.objects.filter(pk=reply.pk).update(message=message)
            Conversation.objects.filter(pk=comment.conversation_id).update(
                last_message_at=now,
                last_message_preview=text[:200],
                business_messages_since_customer=F("business_messages_since_customer") + 1,
                updated_at=now,
            )
            effects.live_hint(
                tenant_id=comment.tenant_id,
                event="message.created",
                conversation_id=comment.conversation_id,
                message_id=message.pk,
            )
            effects.webhook_event(
                tenant=comment.tenant,
                event_type="comment.created",
                data=partial(comment_payload, reply),
            )
        comment.answered = True
        comment.save(update_fields=["answered", "updated_at"])
        _updated(comment)
    return reply


def comment_reply_private(
    *,
    comment: Comment,
    text: str,
    actor=None,
    author_kind: str = "agent",
    rule_name: str = "",
    now: datetime | None = None,
    record_activity: bool = True,
) -> Conversation:
    """The provider's private reply: one message to the comment's author, which opens a
    direct-message conversation linked to the comment (and attributed to its post or ad)."""
    now = now or timezone.now()
    text = (text or "").strip()
    _refuse_if(comment_action_problem(comment, "private_reply", text=text, now=now))
    # One private reply per comment, even when two people (or a rule) try at once.
    claimed = Comment.objects.filter(pk=comment.pk, private_reply_at__isnull=True).update(
        private_reply_at=now
    )
    if not claimed:
        raise CommentActionRefused(
            _("This comment already has its private reply (one per comment).")
        )
    try:
        recipient_id, result = _call(comment, "private_reply", text=text)
    except CommentActionRefused as refused:
        if refused.code != "provider_10900":  # the provider says one was sent: keep the claim
            Comment.objects.filter(pk=comment.pk).update(private_reply_at=None)
        raise
    with transaction.atomic():
        comment = _locked(comment)
        conversation = _private_conversation(comment, recipient_id, at=now)
        message = Message.objects.create(
            tenant=comment.tenant,
            conversation=conversation,
            channel=comment.channel,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.OUT,
            author_kind=author_kind,
            author_user=actor,
            rule_name=rule_name,
            text=text,
            provider_message_id=result.provider_message_id,
            status=Message.Status.SENT,
            sent_at=now,
            created_at=now,
            metadata={"private_reply_to": comment.external_id, "post_id": comment.post.external_id},
        )
        conversation.last_message_at = max(conversation.last_message_at, now)
        conversation.last_message_preview = text[:200]
        conversation.business_messages_since_customer += 1
        conversation.save(
            update_fields=[
                "last_message_at",
                "last_message_preview",
                "business_messages_since_customer",
                "updated_at",
            ]
        )
        comment.private_reply_conversation = conversation
        comment.answered = True
        comment.save(update_fields=["private_reply_conversation", "answered", "updated_at"])
        if record_activity:
            _activity(
                comment,
                private_reply_line(actor=actor, rule_name=rule_name, text=text),
                actor=actor,
                author_kind=author_kind,
                rule_name=rule_name,
            )
        _updated(comment)
        effects.webhook_event(
            tenant=comment.tenant,
            event_type="message.created",
            data=partial(message_payload, message),
        )
        effects.live_hint(
            tenant_id=comment.tenant_id,
            event="message.created",
            conversation_id=conversation.pk,
            message_id=message.pk,
        )
    return conversation


def _private_conversation(comment: Comment, recipient_id: str, *, at) -> Conversation:
    """The DM conversation the private reply opened: the customer's id there (a PSID on
    Messenger) is linked to the commenter's contact, so their later message lands in it."""
    channel = comment.channel
    identity = (
        ContactIdentity.objects.select_for_update()
        .select_related("contact")
        .filter(channel=channel, external_id=recipient_id)
        .first()
    )
    if identity is None:
        identity = ContactIdentity(
            tenant=channel.tenant,
            contact_id=comment.contact_id,
            channel=channel,
            external_id=recipient_id,
            username=comment.author_name,
        )
        if comment.contact_id is None or insert_ignore_conflict(identity) is None:
            identity = contact_upsert(
                channel=channel, external_id=recipient_id, name=comment.author_name
            )
        identity = ContactIdentity.objects.select_related("contact").get(pk=identity.pk)
    conversation, _created = conversation_for(
        channel=channel, identity=identity, provider_conversation_id=recipient_id, at=at
    )
    post = comment.post
    conversation.attribution = {
        "source": "comment",
        "provider": channel.provider,
        "comment_id": comment.external_id,
        "post_id": post.external_id,
        "post_permalink": post.permalink,
        "ad_id": post.ad_id,
        "received_at": at.isoformat(),
    }
    fields = ["attribution", "updated_at"]
    if post.ad_id:
        conversation.source = registry.get(channel.provider).AD_SOURCE
        conversation.ad_id = post.ad_id[:64]
        conversation.campaign_name = post.ad_title[:200]
        fields += ["source", "ad_id", "campaign_name"]
    conversation.save(update_fields=fields)
    return conversation


def comment_set_hidden(
    *,
    comment: Comment,
    hidden: bool,
    actor=None,
    author_kind: str = "agent",
    rule_name: str = "",
    record_activity: bool = True,
) -> Comment:
    _refuse_if(comment_action_problem(comment, "hide" if hidden else "unhide"))
    _call(comment, "set_hidden", hidden=hidden)
    with transaction.atomic():
        comment = _locked(comment)
        if comment.state != Comment.State.DELETED:
            comment.state = Comment.State.HIDDEN if hidden else Comment.State.VISIBLE
            comment.state_changed_at = timezone.now()
            comment.save(update_fields=["state", "state_changed_at", "updated_at"])
        if record_activity:
            _activity(
                comment,
                hidden_line(hidden, actor=actor, rule_name=rule_name),
                actor=actor,
                author_kind=author_kind,
                rule_name=rule_name,
            )
        _updated(comment)
    return comment


def comment_delete(
    *, comment: Comment, actor=None, author_kind: str = "agent", rule_name: str = ""
) -> Comment:
    _refuse_if(comment_action_problem(comment, "delete"))
    _call(comment, "delete")
    with transaction.atomic():
        comment = _locked(comment)
        comment.state = Comment.State.DELETED
        comment.state_changed_at = timezone.now()
        comment.text = ""
        comment.save(update_fields=["state", "state_changed_at", "text", "updated_at"])
        if comment.message_id:
            Message.objects.filter(pk=comment.message_id).update(text="")
        _activity(
            comment,
            _("Comment deleted by %(who)s") % {"who": _who(actor, rule_name)},
            actor=actor,
            author_kind=author_kind,
            rule_name=rule_name,
        )
        _updated(comment)
    return comment


def comment_like(*, comment: Comment, liked: bool, actor=None) -> Comment:
    _refuse_if(comment_action_problem(comment, "like" if liked else "unlike"))
    _call(comment, "like", liked=liked)
    with transaction.atomic():
        comment = _locked(comment)
        comment.liked = liked
        comment.save(update_fields=["liked", "updated_at"])
        text = _("Comment liked by %(who)s") if liked else _("Like removed by %(who)s")
        _activity(
            comment, text % {"who": _who(actor, "")}, actor=actor, author_kind="agent", rule_name=""
        )
        _updated(comment)
    return comment


def comment_act(*, comment: Comment, action: str, text: str = "", actor=None):
    """One door for the browser and the API: ``action`` by name."""
    if action == "reply":
        return comment_reply_public(comment=comment, text=text, actor=actor)
    if action == "private_reply":
        return comment_reply_private(comment=comment, text=text, actor=actor)
    if action in ("hide", "unhide"):
        return comment_set_hidden(comment=comment, hidden=action == "hide", actor=actor)
    if action == "delete":
        return comment_delete(comment=comment, actor=actor)
    if action in ("like", "unlike"):
        return comment_like(comment=comment, liked=action == "like", actor=actor)
    raise CommentActionRefused(_("Unknown action."))
