"""Comments seen in webhooks (or read back from a provider's comment list): each stored once.

A comment is one ``Comment`` row per (channel, provider comment id), whatever arrives first:
a redelivery changes nothing, an edit updates the text, hide/unhide move the state only
forward in time, and a delete is final — a delete that arrives before the create leaves a
placeholder that the late create cannot bring back, so nothing is ever visible. A customer's
comment is also a ``Message`` of kind ``comment`` in the conversation of its author and post;
the shop's own comments are recognised (``is_own``) and never treated as a customer's.
"""

from __future__ import annotations

import dataclasses
from functools import partial

from django.db.models import F
from django.utils import timezone

from inbox import effects
from inbox.models import Channel, Comment, Conversation, Message, Post
from inbox.outbound_webhooks.payloads import comment_payload
from inbox.providers.base import CommentEvent, PostInfo
from inbox.services._sql import insert_ignore_conflict

from .conversations import contact_upsert
from .messages import conversation_touch_inbound


def post_upsert(*, channel: Channel, post_id: str, info: PostInfo | None = None) -> Post:
    """The post (created when new; details the webhook carried filled in where missing). A
    new post's details are fetched from the provider after commit, and its earlier comments
    read back through the provider's comment list (the backfill; the catch-up re-reads
    recent posts every 30 minutes)."""
    post = Post.objects.for_tenant(channel.tenant).filter(channel=channel, external_id=post_id)
    post = post.first()
    if post is None:
        post = Post(tenant=channel.tenant, channel=channel, external_id=post_id)
        if insert_ignore_conflict(post) is not None:
            effects.task_on_commit(effects.POST_FETCH, channel.pk, post_id)
            effects.task_on_commit(effects.COMMENTS_FETCH, channel.pk, post_id)
        post = Post.objects.get(channel=channel, external_id=post_id)
    if info is not None:
        changed = []
        for field in ("caption", "thumbnail_url", "permalink", "media_type", "ad_id", "ad_title"):
            value = getattr(info, field)
            if value and not getattr(post, field):
                setattr(post, field, value[: Post._meta.get_field(field).max_length or None])
                changed.append(field)
        if changed:
            post.save(update_fields=[*changed, "updated_at"])
    return post


def _locked(channel: Channel, post: Post, event: CommentEvent) -> tuple[Comment, bool]:
    """The comment's row, locked for this transaction; a placeholder when first seen."""
    placeholder = Comment(
        tenant=channel.tenant,
        channel=channel,
        post=post,
        external_id=event.comment_id,
        parent_external_id=event.parent_id,
        placeholder=True,
        commented_at=event.timestamp,
    )
    created = insert_ignore_conflict(placeholder) is not None
    comment = Comment.objects.select_for_update().get(channel=channel, external_id=event.comment_id)
    return comment, created


def comment_apply(*, channel: Channel, event: CommentEvent) -> Comment:
    """Apply one comment event of ``channel``: idempotent under redelivery, in any order."""
    event = dataclasses.replace(
        event,
        comment_id=event.comment_id[:191],
        post_id=event.post_id[:191],
        parent_id=event.parent_id[:191],
    )
    post = post_upsert(channel=channel, post_id=event.post_id, info=event.post)
    comment, _created = _locked(channel, post, event)
    if event.action == "fetch":
        if comment.placeholder and comment.state != Comment.State.DELETED:
            effects.task_on_commit(
                effects.COMMENTS_FETCH, channel.pk, post.external_id, event.comment_id
            )
        return comment
    if event.action == "delete":
        _delete(comment, at=event.timestamp)
    elif event.action in ("hide", "unhide"):
        state = Comment.State.HIDDEN if event.action == "hide" else Comment.State.VISIBLE
        _set_state(comment, state, at=event.timestamp)
    else:
        _upsert(channel, comment, event)
    return comment


def _changed(comment: Comment, *, live: bool = True) -> None:
    """After a change of a stored comment: its message is touched (live catch-up reads
    ``updated_at``), the agents' pages hinted, the CRM told."""
    if comment.message_id:
        Message.objects.filter(pk=comment.message_id).update(updated_at=timezone.now())
        if live:
            effects.live_hint(
                tenant_id=comment.tenant_id,
                event="message.updated",
                conversation_id=comment.conversation_id,
                message_id=comment.message_id,
            )
    if not comment.placeholder:
        effects.webhook_event(
            tenant=comment.channel.tenant,
            event_type="comment.updated",
            data=partial(comment_payload, comment),
        )


def _delete(comment: Comment, *, at) -> None:
    if comment.state == Comment.State.DELETED:
        return
    comment.state = Comment.State.DELETED
    comment.state_changed_at = at
    comment.text = ""
    comment.save(update_fields=["state", "state_changed_at", "text", "updated_at"])
    if comment.message_id:
        Message.objects.filter(pk=comment.message_id).update(text="")
    _changed(comment)


def _set_state(comment: Comment, state: str, *, at) -> None:
    if comment.state == Comment.State.DELETED:
        return
    if comment.state_changed_at is not None and at < comment.state_changed_at:
        return  # an older hide/unhide arriving late
    if comment.state == state:
        if comment.state_changed_at is None or at > comment.state_changed_at:
            comment.state_changed_at = at
            comment.save(update_fields=["state_changed_at", "updated_at"])
        return
    comment.state = state
    comment.state_changed_at = at
    comment.save(update_fields=["state", "state_changed_at", "updated_at"])
    _changed(comment)


def _upsert(channel: Channel, comment: Comment, event: CommentEvent) -> None:
    if comment.state == Comment.State.DELETED:
        return  # deleted before (or after) it was created: stays invisible
    if not comment.placeholder:
        _edit(comment, event)
        return
    parent = None
    if event.parent_id:
        parent = (
            Comment.objects.for_tenant(channel.tenant)
            .filter(channel=channel, external_id=event.parent_id)
            .first()
        )
    comment.placeholder = False
    comment.parent = parent
    comment.parent_external_id = event.parent_id
    comment.author_external_id = event.author_id[:128]
    comment.author_name = event.author_name[:200]
    comment.is_own = event.is_own
    comment.is_live = event.is_live
    comment.text = event.text
    comment.commented_at = event.timestamp
    if event.liked is not None:
        comment.liked = event.liked
    if event.hidden and comment.state_changed_at is None:
        comment.state = Comment.State.HIDDEN
    if event.is_own:
        _own_comment(channel, comment, parent)
    else:
        _customer_comment(channel, comment)
    comment.save()
    effects.webhook_event(
        tenant=channel.tenant, event_type="comment.created", data=partial(comment_payload, comment)
    )
    if not event.is_own:
        effects.task_on_commit(effects.COMMENT_AUTOMATION_RUN, comment.pk)


def _edit(comment: Comment, event: CommentEvent) -> None:
    fields = []
    if event.text and event.text != comment.text:
        comment.text = event.text
        comment.edited_at = event.timestamp
        fields += ["text", "edited_at"]
        if comment.message_id:
            Message.objects.filter(pk=comment.message_id).update(text=event.text)
    if event.liked is not None and event.liked != comment.liked:
        comment.liked = event.liked
        fields.append("liked")
    if fields:
        comment.save(update_fields=[*fields, "updated_at"])
        _changed(comment)


def comment_conversation(*, channel: Channel, identity, post: Post, at) -> Conversation:
    """The conversation of one customer's comments under one post (the caller holds the
    identity's row lock, so two workers never open two)."""
    conversation = (
        Conversation.objects.for_tenant(channel.tenant)
        .filter(
            channel=channel,
            contact=identity.contact,
            kind=Conversation.Kind.COMMENTS,
            post=post,
        )
        .first()
    )
    if conversation is not None:
        return conversation
    conversation = Conversation.objects.create(
        tenant=channel.tenant,
        channel=channel,
        contact=identity.contact,
        kind=Conversation.Kind.COMMENTS,
        post=post,
        source=Conversation.Source.ORGANIC,
        ad_id=post.ad_id,
        last_message_at=at,
    )
    effects.live_hint(
        tenant_id=channel.tenant_id, event="conversation.created", conversation_id=conversation.pk
    )
    return conversation


def _comment_message(comment: Comment, conversation: Conversation, **fields) -> Message:
    message = Message(
        tenant=comment.tenant,
        conversation=conversation,
        channel=comment.channel,
        kind=Message.Kind.COMMENT,
        text=comment.text,
        provider_message_id=f"comment:{comment.external_id}"[:191],
        metadata={"type": "comment", "comment_id": comment.external_id},
        created_at=comment.commented_at,
        **fields,
    )
    message.save()
    return message


def _customer_comment(channel: Channel, comment: Comment) -> None:
    identity = contact_upsert(
        channel=channel,
        external_id=comment.author_external_id or f"unknown-comment-{comment.external_id}",
        name=comment.author_name,
    )
    conversation = comment_conversation(
        channel=channel, identity=identity, post=comment.post, at=comment.commented_at
    )
    comment.contact = identity.contact
    comment.conversation = conversation
    message = _comment_message(
        comment,
        conversation,
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.CUSTOMER,
        status=Message.Status.RECEIVED,
    )
    comment.message = message
    conversation_touch_inbound(conversation, message, reopened_from=conversation.status)
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )


def _own_comment(channel: Channel, comment: Comment, parent: Comment | None) -> None:
    """The shop's own comment (typed in the provider's app, or our reply echoed back): shown
    in the conversation of the comment it answers; the answered comment counts as answered."""
    if parent is None or parent.conversation_id is None:
        return
    comment.conversation_id = parent.conversation_id
    message = _comment_message(
        comment,
        parent.conversation,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.AGENT,
        status=Message.Status.SENT,
        sent_at=comment.commented_at,
    )
    comment.message = message
    Comment.objects.filter(pk=parent.pk).update(answered=True, updated_at=timezone.now())
    Conversation.objects.filter(pk=parent.conversation_id).update(
        business_messages_since_customer=F("business_messages_since_customer") + 1
    )
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=parent.conversation_id,
        message_id=message.pk,
    )
