"""Provider events that are not messages: a customer following or unfollowing the account
(an activity line in the thread) and changes to a stored message (a reaction, an unsend)."""

from __future__ import annotations

from functools import partial

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Attachment, Channel, Conversation, Message
from inbox.outbound_webhooks.payloads import message_payload
from inbox.providers.base import ActivityEvent, MessageChange
from inbox.services._sql import insert_ignore_conflict
from tenants.locale import shipped

from .conversations import sender_conversation


def _activity_text(event: ActivityEvent, channel: Channel) -> str:
    # The line is stored once for everybody: in the business's default language.
    with translation.override(shipped(channel.tenant.default_language) or "en"):
        if event.kind == "follow":
            return _("The customer followed %(account)s.") % {"account": channel.name}
        return _("The customer unfollowed or blocked %(account)s.") % {"account": channel.name}


def activity_record(*, channel: Channel, event: ActivityEvent) -> Message | None:
    """An activity line in the customer's conversation (opened for a follow; an unfollow of
    somebody who never wrote is only noted). A redelivery is stored once."""
    if event.kind == "unfollow":
        known = Conversation.objects.for_tenant(channel.tenant).filter(
            channel=channel, contact__identities__external_id=event.contact_external_id
        )
        if not known.exists():
            return None
    conversation, _created = sender_conversation(channel, event)
    metadata = {"type": event.kind}
    if event.reply_token:
        metadata["reply_token"] = event.reply_token
    message = Message(
        tenant=channel.tenant,
        conversation=conversation,
        channel=channel,
        kind=Message.Kind.ACTIVITY,
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.CUSTOMER,
        text=_activity_text(event, channel),
        provider_message_id=f"{event.kind}:{event.event_id}"[:191],
        status=Message.Status.RECEIVED,
        metadata=metadata,
        created_at=event.timestamp,
    )
    if insert_ignore_conflict(message) is None:
        return None
    if event.timestamp >= conversation.last_message_at:
        conversation.last_message_at = event.timestamp
        conversation.last_message_preview = message.text[:200]
        conversation.save(update_fields=["last_message_at", "last_message_preview", "updated_at"])
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )
    return message


def message_change_apply(*, channel: Channel, change: MessageChange) -> bool:
    """A reaction on, or the unsending of, a message of this channel; False when the message
    is unknown (never stored, or of another channel)."""
    message = (
        Message.objects.for_tenant(channel.tenant)
        .select_for_update()
        .filter(channel=channel, provider_message_id=change.message_id)
        .first()
    )
    if message is None:
        return False
    metadata = dict(message.metadata or {})
    fields = ["metadata", "updated_at"]
    if change.kind == "unsend":
        if metadata.get("unsent"):
            return False
        metadata["unsent"] = timezone.now().isoformat()
        message.text = ""
        fields.append("text")
        Attachment.objects.filter(message=message).delete()
        _unsent_preview(channel, message)
    elif change.kind == "reaction":
        if metadata.get("reaction", "") == change.emoji:
            return False
        if change.emoji:
            metadata["reaction"] = change.emoji
        else:
            metadata.pop("reaction", None)
    else:
        return False
    message.metadata = metadata
    message.save(update_fields=fields)
    effects.webhook_event(
        tenant=channel.tenant, event_type="message.updated", data=partial(message_payload, message)
    )
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.updated",
        conversation_id=message.conversation_id,
        message_id=message.pk,
    )
    return True


def _unsent_preview(channel: Channel, message: Message) -> None:
    """The conversation list must not keep showing what the customer took back."""
    with translation.override(shipped(channel.tenant.default_language) or "en"):
        preview = _("Message unsent")
    Conversation.objects.filter(
        pk=message.conversation_id, last_message_at=message.created_at
    ).update(last_message_preview=preview, updated_at=timezone.now())
