"""Messages seen in webhooks: a customer's message, or one the business sent (our echo, or
typed by a person in the provider's own app)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.csat_replies import rating_from_reply
from inbox.models import Attachment, Channel, Conversation, Message
from inbox.outbound_webhooks.payloads import conversation_payload, message_payload
from inbox.providers.base import InboundMessage
from inbox.push.selectors import tenant_has_push_devices
from inbox.services._sql import insert_ignore_conflict
from inbox.services.csat import csat_rating_record, csat_survey_open
from signals_app.services import signals_detect_for_message

from .conversations import attribution_set, contact_upsert, conversation_for, sender_conversation

ATTACHMENT_KINDS = {
    "gif": "image",
    "image": "image",
    "video": "video",
    "audio": "audio",
    "sticker": "sticker",
    "emoji": "sticker",
    "share_post": "shared_post",
    "document": "file",
    "file": "file",
}
# A pending send whose echo arrives before the provider call returned is matched by text
# within this window (then the echo is ours, not a message typed in the provider's app).
ECHO_MATCH_WINDOW = timedelta(minutes=10)


def message_receive(*, channel: Channel, inbound: InboundMessage) -> Message | None:
    """Store one message seen in a webhook. Returns the new message, or None when it was
    already stored (redelivery) or is an echo of our own send."""
    if inbound.direction == "out":
        return _business_message_receive(channel=channel, inbound=inbound)
    identity = contact_upsert(
        channel=channel,
        external_id=inbound.contact_external_id or f"unknown-{inbound.message_id}",
        name=inbound.contact_name,
    )
    conversation, created = conversation_for(
        channel=channel,
        identity=identity,
        provider_conversation_id=inbound.conversation_external_id,
        at=inbound.timestamp,
    )
    rating = None if created or inbound.attachments else rating_from_reply(inbound.text)
    survey = csat_survey_open(conversation=conversation, at=inbound.timestamp) if rating else None
    if survey is not None:
        return _rating_receive(channel, conversation, inbound, survey, rating)
    message = _insert_message(
        channel=channel,
        conversation=conversation,
        inbound=inbound,
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.CUSTOMER,
        status=Message.Status.RECEIVED,
    )
    if message is None:
        return None
    if inbound.referral is not None:
        attribution_set(conversation, inbound.referral, channel)
    conversation_touch_inbound(conversation, message, reopened_from=conversation.status)
    signals_detect_for_message(message=message)
    effects.webhook_event(
        tenant=channel.tenant, event_type="message.created", data=partial(message_payload, message)
    )
    if not created:
        effects.webhook_event(
            tenant=channel.tenant,
            event_type="conversation.updated",
            data=partial(conversation_payload, conversation),
        )
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )
    if tenant_has_push_devices(channel.tenant_id):
        effects.task_on_commit(effects.PUSH_NOTIFY, message.pk)
    if not inbound.content_stripped:
        effects.automation_run(message)
    if any(a.kind != "share_post" for a in inbound.attachments):
        effects.task_on_commit(effects.MEDIA_PREFETCH, message.pk)
    return message


def _rating_receive(channel, conversation, inbound: InboundMessage, survey, rating: int):
    """The customer answered the satisfaction question: the reply is kept (once: redeliveries
    are no-ops) as the rating, not as a new message — the conversation stays resolved and
    nobody is notified of a new message; the provider's reply window does reopen."""
    message = _insert_message(
        channel=channel,
        conversation=conversation,
        inbound=inbound,
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.CUSTOMER,
        status=Message.Status.RECEIVED,
        kind=Message.Kind.ACTIVITY,
        metadata={"csat_rating": rating},
    )
    if message is None:
        return None
    at = message.created_at
    if conversation.last_customer_message_at is None or at > conversation.last_customer_message_at:
        conversation.last_customer_message_at = at
        conversation.business_messages_since_customer = 0
        conversation.save(
            update_fields=[
                "last_customer_message_at",
                "business_messages_since_customer",
                "updated_at",
            ]
        )
    csat_rating_record(survey=survey, reply=message, rating=rating)
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )
    return message


def _insert_message(
    *, channel, conversation, inbound: InboundMessage, direction, author_kind, status, **extra
):
    reply_to = None
    if inbound.reply_to:
        reply_to = (
            Message.objects.for_tenant(channel.tenant)
            .filter(channel=channel, provider_message_id=inbound.reply_to)
            .only("pk")
            .first()
        )
    metadata = {"type": inbound.message_type}
    if inbound.content_stripped:
        metadata["content_stripped"] = True
    if inbound.referral is not None:
        metadata["referral"] = inbound.referral.as_dict()
    if inbound.reply_token:
        metadata["reply_token"] = inbound.reply_token
    message = Message(
        tenant=channel.tenant,
        conversation=conversation,
        channel=channel,
        kind=extra.pop("kind", Message.Kind.MESSAGE),
        direction=direction,
        author_kind=author_kind,
        text=inbound.text,
        provider_message_id=inbound.message_id,
        reply_to=reply_to,
        status=status,
        metadata=metadata | extra.pop("metadata", {}),
        created_at=inbound.timestamp,
        **extra,
    )
    if insert_ignore_conflict(message) is None:
        return None
    for att in inbound.attachments:
        Attachment.objects.create(
            tenant=channel.tenant,
            message=message,
            kind=ATTACHMENT_KINDS.get(att.kind, "file"),
            provider_media_id=att.media_id,
            url=att.url[:1000],
            mime_type=att.mime_type,
            size=att.size,
        )
    return message


def message_preview(message: Message) -> str:
    if message.text:
        return message.text[:200]
    if message.metadata.get("content_stripped"):
        return _("Message content withheld by TikTok (EEA)")
    return "[" + str(message.metadata.get("type", "attachment")) + "]"


def conversation_touch_inbound(conversation: Conversation, message: Message, reopened_from):
    fields = ["last_customer_message_at", "business_messages_since_customer", "updated_at"]
    at = message.created_at
    if conversation.last_customer_message_at is None or at > conversation.last_customer_message_at:
        conversation.last_customer_message_at = at
        conversation.business_messages_since_customer = 0
    if at >= conversation.last_message_at:
        conversation.last_message_at = at
        conversation.last_message_preview = message_preview(message)
        fields += ["last_message_at", "last_message_preview"]
    if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.SNOOZED):
        conversation.status = Conversation.Status.OPEN
        conversation.snoozed_until = None
        fields += ["status", "snoozed_until"]
    conversation.save(update_fields=fields)


def _business_message_receive(*, channel, inbound: InboundMessage):
    """An outbound message reported by the provider: ours (echo → ignore, or attach the id to
    a send still in flight) or typed by a person in the provider's own app (record it)."""
    qs = Message.objects.for_tenant(channel.tenant)
    existing = qs.filter(channel=channel, provider_message_id=inbound.message_id).first()
    if existing is not None:
        return None
    conversation, _created = sender_conversation(channel, inbound)
    in_flight = (
        qs.filter(
            conversation=conversation,
            direction=Message.Direction.OUT,
            provider_message_id__isnull=True,
            status__in=[Message.Status.QUEUED, Message.Status.SENDING],
            text=inbound.text,
            created_at__gte=inbound.timestamp - ECHO_MATCH_WINDOW,
        )
        .order_by("created_at")
        .first()
    )
    if in_flight is not None:
        Message.objects.filter(pk=in_flight.pk, provider_message_id__isnull=True).update(
            provider_message_id=inbound.message_id, updated_at=timezone.now()
        )
        return None
    message = _insert_message(
        channel=channel,
        conversation=conversation,
        inbound=inbound,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.AGENT,
        status=Message.Status.SENT,
        sent_at=inbound.timestamp,
        metadata={"sent_from": "provider_app"},
    )
    if message is None:
        return None
    fields = ["business_messages_since_customer", "updated_at"]
    conversation.business_messages_since_customer = F("business_messages_since_customer") + 1
    if message.created_at >= conversation.last_message_at:
        conversation.last_message_at = message.created_at
        conversation.last_message_preview = message_preview(message)
        fields += ["last_message_at", "last_message_preview"]
    conversation.save(update_fields=fields)
    conversation.refresh_from_db(fields=["business_messages_since_customer"])
    effects.webhook_event(
        tenant=channel.tenant, event_type="message.created", data=partial(message_payload, message)
    )
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )
    return message
