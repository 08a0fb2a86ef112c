"""Provider events that are not messages: changes to a stored message (a reaction, an
unsend)."""

from __future__ import annotations

from functools import partial

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Attachment, Channel, Conversation, Message
from inbox.outbound_webhooks.payloads import message_payload
from inbox.providers.base import MessageChange
from tenants.locale import shipped


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
