"""Processing of stored webhook events: messages in, echoes, statuses, referrals, reads.

Idempotent: a redelivered event or message changes nothing (``ON CONFLICT DO NOTHING`` on
(channel, provider message id)); statuses never move backwards.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.models import (
    Attachment,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    WebhookEvent,
)
from inbox.outbound_webhooks.services import crm_event_emit
from inbox.providers import registry
from inbox.providers.base import (
    InboundMessage,
    ParsedBatch,
    PayloadError,
    ProviderError,
    ReadReceipt,
    ReferralEvent,
    StatusUpdate,
    clean_strings,
)
from signals_app.services import signals_conversation_attributed, signals_detect_for_message

from . import events
from ._sql import insert_ignore_conflict

log = logging.getLogger(__name__)

MAX_PROCESSING_ATTEMPTS = 5
ATTACHMENT_KINDS = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "sticker": "sticker",
    "emoji": "sticker",
    "share_post": "shared_post",
    "document": "file",
    "file": "file",
}
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
# A pending send whose echo arrives before the provider call returned is matched by text
# within this window (then the echo is ours, not a message typed in the provider's app).
ECHO_MATCH_WINDOW = timedelta(minutes=10)


@dataclass
class _Effects:
    """Side effects collected during processing, fired once the transaction commits."""

    automation_message_ids: list[int] = field(default_factory=list)
    media_message_ids: list[int] = field(default_factory=list)
    broadcasts: list[tuple[int, str, dict]] = field(default_factory=list)

    def broadcast(self, tenant_id: int, event: str, data: dict) -> None:
        self.broadcasts.append((tenant_id, event, data))

    def fire(self) -> None:
        for tenant_id, event, data in self.broadcasts:
            events.broadcast_safely(tenant_id=tenant_id, event=event, data=data)
        for message_id in self.automation_message_ids:
            events.enqueue_automation(message_id)
        for message_id in self.media_message_ids:
            events.enqueue_media_prefetch(message_id)


# --- the event ------------------------------------------------------------------------------


def webhook_event_process(*, event_id: int) -> str | None:
    """Process one stored event; returns its final status (None if another worker has it or
    it was already done)."""
    try:
        with transaction.atomic():
            event = (
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, status=WebhookEvent.Status.PENDING)
                .first()
            )
            if event is None:
                return None
            effects = _Effects()
            _process(event, effects)
            transaction.on_commit(effects.fire)
            return event.status
    except Exception as exc:
        log.exception("webhook event %s failed to process", event_id)
        _record_error(event_id, exc)
        raise


def _record_error(event_id: int, exc: Exception) -> None:
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status != WebhookEvent.Status.PENDING:
            return
        event.attempts += 1
        event.error = f"{type(exc).__name__}: {exc}"[:2000]
        fields = ["attempts", "error"]
        if event.attempts >= MAX_PROCESSING_ATTEMPTS:
            event.status = WebhookEvent.Status.FAILED
            event.processed_at = timezone.now()
            fields += ["status", "processed_at"]
        event.save(update_fields=fields)


def _finish(event: WebhookEvent, status: str, error: str = "") -> None:
    event.status = status
    event.error = error
    event.processed_at = timezone.now()
    event.attempts += 1
    event.save(update_fields=["status", "error", "processed_at", "attempts", "tenant", "channel"])


def _process(event: WebhookEvent, effects: _Effects) -> None:
    module = registry.get(event.provider)
    try:
        payload = clean_strings(json.loads(bytes(event.body)))
        batch: ParsedBatch = module.parse(payload)
    except (ValueError, PayloadError, RecursionError) as exc:
        _finish(event, WebhookEvent.Status.FAILED, f"{type(exc).__name__}: {exc}")
        return
    if batch.is_empty():
        _finish(event, WebhookEvent.Status.PROCESSED, "; ".join(batch.ignored)[:2000])
        return
    # Routing is the one place that looks across tenants: the account id names the channel.
    channels = {
        c.account_id: c
        for c in Channel.objects.select_related("tenant").filter(
            provider=event.provider, account_id__in=batch.account_ids
        )
    }
    if not channels:
        _finish(
            event,
            WebhookEvent.Status.UNROUTED,
            "no channel for account id(s) " + ", ".join(batch.account_ids),
        )
        return
    first = next(iter(channels.values()))
    event.channel, event.tenant = first, first.tenant
    skipped = [a for a in batch.account_ids if a not in channels]
    for msg in batch.messages:
        if msg.account_id in channels:
            message_receive(channel=channels[msg.account_id], inbound=msg, effects=effects)
    for ref in batch.referrals:
        if ref.account_id in channels:
            referral_record(channel=channels[ref.account_id], event=ref, effects=effects)
    for status in batch.statuses:
        if status.account_id in channels:
            status_apply(channel=channels[status.account_id], update=status, effects=effects)
    for read in batch.reads:
        if read.account_id in channels:
            read_apply(channel=channels[read.account_id], receipt=read, effects=effects)
    note = "; ".join([*batch.ignored, *(f"no channel for {a}" for a in skipped)])
    _finish(event, WebhookEvent.Status.PROCESSED, note[:2000])


# --- contacts and conversations ---------------------------------------------------------------


def contact_upsert(*, channel: Channel, external_id: str, name: str, effects: _Effects):
    """The identity (locked for this transaction) and its contact; creates both if new."""
    identity = (
        ContactIdentity.objects.select_for_update()
        .select_related("contact")
        .filter(channel=channel, external_id=external_id)
        .first()
    )
    if identity is None:
        name = name or _profile_name(channel, external_id)
        contact = Contact.objects.create(tenant=channel.tenant, name=name or "")
        identity = ContactIdentity(
            tenant=channel.tenant,
            contact=contact,
            channel=channel,
            external_id=external_id,
            username=name or "",
        )
        if insert_ignore_conflict(identity) is None:  # another worker created it meanwhile
            contact.delete()
            identity = (
                ContactIdentity.objects.select_for_update()
                .select_related("contact")
                .get(channel=channel, external_id=external_id)
            )
        else:
            crm_event_emit(
                tenant=channel.tenant,
                event_type="contact.created",
                data=events.contact_data(contact, identity),
            )
    elif name and not identity.contact.name:
        identity.contact.name = name
        identity.contact.save(update_fields=["name", "updated_at"])
    if name and identity.username != name:
        identity.username = name
        identity.save(update_fields=["username"])
    return identity


def _profile_name(channel: Channel, external_id: str) -> str:
    """Messenger webhooks carry no name: ask the profile API once, for a new contact."""
    if channel.provider != "messenger":
        return ""
    from inbox.providers import messenger

    from . import http

    try:
        with http.client_for(channel) as client:
            profile = messenger.fetch_profile(
                client,
                base_url=http.base_url_for(channel),
                credentials=channel.credentials,
                psid=external_id,
                **http.provider_opts("messenger"),
            )
    except ProviderError:
        return ""
    return messenger.display_name(profile)


def conversation_for(
    *,
    channel: Channel,
    identity: ContactIdentity,
    provider_conversation_id: str,
    at,
    effects: _Effects,
) -> tuple[Conversation, bool]:
    """The contact's current conversation on this channel, or a new one. The caller holds
    the identity's row lock, so two workers never open two conversations for one contact."""
    qs = Conversation.objects.for_tenant(channel.tenant).filter(
        channel=channel, contact=identity.contact
    )
    conversation = None
    if provider_conversation_id:
        conversation = (
            qs.filter(provider_conversation_id=provider_conversation_id)
            .order_by("-last_message_at", "-id")
            .first()
        )
    if conversation is None:
        conversation = qs.order_by("-last_message_at", "-id").first()
    if conversation is not None:
        if provider_conversation_id and not conversation.provider_conversation_id:
            conversation.provider_conversation_id = provider_conversation_id
            conversation.save(update_fields=["provider_conversation_id", "updated_at"])
        return conversation, False
    conversation = Conversation.objects.create(
        tenant=channel.tenant,
        channel=channel,
        contact=identity.contact,
        provider_conversation_id=provider_conversation_id,
        last_message_at=at,
    )
    crm_event_emit(
        tenant=channel.tenant,
        event_type="conversation.created",
        data=events.conversation_data(conversation),
    )
    effects.broadcast(
        channel.tenant_id, "conversation.created", {"conversation_id": conversation.pk}
    )
    return conversation, True


# --- messages -------------------------------------------------------------------------------


def message_receive(
    *, channel: Channel, inbound: InboundMessage, effects: _Effects
) -> Message | None:
    """Store one message seen in a webhook. Returns the new message, or None when it was
    already stored (redelivery) or is an echo of our own send."""
    if inbound.direction == "out":
        return _business_message_receive(channel=channel, inbound=inbound, effects=effects)
    identity = contact_upsert(
        channel=channel,
        external_id=inbound.contact_external_id or f"unknown-{inbound.message_id}",
        name=inbound.contact_name,
        effects=effects,
    )
    conversation, created = conversation_for(
        channel=channel,
        identity=identity,
        provider_conversation_id=inbound.conversation_external_id,
        at=inbound.timestamp,
        effects=effects,
    )
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
        _attribution_set(conversation, inbound.referral, channel)
    _conversation_touch_inbound(conversation, message, reopened_from=conversation.status)
    signals_detect_for_message(message=message)
    crm_event_emit(
        tenant=channel.tenant, event_type="message.created", data=events.message_data(message)
    )
    if not created:
        crm_event_emit(
            tenant=channel.tenant,
            event_type="conversation.updated",
            data=events.conversation_data(conversation),
        )
    effects.broadcast(
        channel.tenant_id,
        "message.created",
        {"conversation_id": conversation.pk, "message_id": message.pk},
    )
    if not inbound.content_stripped:
        effects.automation_message_ids.append(message.pk)
    if any(a.kind != "share_post" for a in inbound.attachments):
        effects.media_message_ids.append(message.pk)
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
    message = Message(
        tenant=channel.tenant,
        conversation=conversation,
        channel=channel,
        kind=Message.Kind.MESSAGE,
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


def _preview(message: Message) -> str:
    if message.text:
        return message.text[:200]
    if message.metadata.get("content_stripped"):
        return _("Message content withheld by TikTok (EEA)")
    return "[" + str(message.metadata.get("type", "attachment")) + "]"


def _conversation_touch_inbound(conversation: Conversation, message: Message, reopened_from):
    fields = ["last_customer_message_at", "business_messages_since_customer", "updated_at"]
    at = message.created_at
    if conversation.last_customer_message_at is None or at > conversation.last_customer_message_at:
        conversation.last_customer_message_at = at
        conversation.business_messages_since_customer = 0
    if at >= conversation.last_message_at:
        conversation.last_message_at = at
        conversation.last_message_preview = _preview(message)
        fields += ["last_message_at", "last_message_preview"]
    if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.SNOOZED):
        conversation.status = Conversation.Status.OPEN
        conversation.snoozed_until = None
        fields += ["status", "snoozed_until"]
    conversation.save(update_fields=fields)


def _business_message_receive(*, channel, inbound: InboundMessage, effects: _Effects):
    """An outbound message reported by the provider: ours (echo → ignore, or attach the id to
    a send still in flight) or typed by a person in the provider's own app (record it)."""
    qs = Message.objects.for_tenant(channel.tenant)
    existing = qs.filter(channel=channel, provider_message_id=inbound.message_id).first()
    if existing is not None:
        return None
    conversation, _created = _sender_conversation(channel, inbound, effects)
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
        conversation.last_message_preview = _preview(message)
        fields += ["last_message_at", "last_message_preview"]
    conversation.save(update_fields=fields)
    conversation.refresh_from_db(fields=["business_messages_since_customer"])
    crm_event_emit(
        tenant=channel.tenant, event_type="message.created", data=events.message_data(message)
    )
    effects.broadcast(
        channel.tenant_id,
        "message.created",
        {"conversation_id": conversation.pk, "message_id": message.pk},
    )
    return message


# --- statuses, reads, referrals -------------------------------------------------------------


def _allowed_before(status: str) -> list[str]:
    """Statuses a message may be in for ``status`` to apply (never backwards)."""
    if status == Message.Status.FAILED:
        return [Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT]
    rank = STATUS_RANK[status]
    return [s for s, r in STATUS_RANK.items() if r < rank]


def status_apply(*, channel: Channel, update: StatusUpdate, effects: _Effects) -> bool:
    qs = Message.objects.for_tenant(channel.tenant).filter(
        channel=channel,
        provider_message_id=update.message_id,
        direction=Message.Direction.OUT,
        status__in=_allowed_before(update.status),
    )
    now = timezone.now()
    values: dict = {"status": update.status, "updated_at": now}
    if update.status == Message.Status.DELIVERED:
        values["delivered_at"] = update.timestamp
    elif update.status == Message.Status.READ:
        values["read_at"] = update.timestamp
    elif update.status == Message.Status.FAILED:
        values["error_code"] = update.error_code[:40]
        values["error_message"] = update.error_message or _("The provider could not deliver it.")
    elif update.status == Message.Status.SENT:
        values["sent_at"] = update.timestamp
    changed = qs.update(**values)
    if not changed:
        return False
    if update.status == Message.Status.READ:
        Message.objects.filter(
            channel=channel, provider_message_id=update.message_id, delivered_at__isnull=True
        ).update(delivered_at=update.timestamp)
    message = Message.objects.for_tenant(channel.tenant).get(
        channel=channel, provider_message_id=update.message_id
    )
    crm_event_emit(
        tenant=channel.tenant, event_type="message.updated", data=events.message_data(message)
    )
    effects.broadcast(
        channel.tenant_id,
        "message.updated",
        {"conversation_id": message.conversation_id, "message_id": message.pk},
    )
    return True


def _conversation_by_provider_ids(channel, conversation_external_id, contact_external_id):
    qs = Conversation.objects.for_tenant(channel.tenant).filter(channel=channel)
    if conversation_external_id:
        found = qs.filter(provider_conversation_id=conversation_external_id).first()
        if found:
            return found
    if contact_external_id:
        return (
            qs.filter(
                contact__identities__channel=channel,
                contact__identities__external_id=contact_external_id,
            )
            .order_by("-last_message_at", "-id")
            .first()
        )
    return None


def read_apply(*, channel: Channel, receipt: ReadReceipt, effects: _Effects) -> int:
    conversation = _conversation_by_provider_ids(
        channel, receipt.conversation_external_id, receipt.contact_external_id
    )
    if conversation is None:
        return 0
    changed = (
        Message.objects.for_tenant(channel.tenant)
        .filter(
            conversation=conversation,
            direction=Message.Direction.OUT,
            status__in=[Message.Status.SENT, Message.Status.DELIVERED],
            created_at__lte=receipt.timestamp,
        )
        .update(
            status=Message.Status.READ,
            read_at=receipt.timestamp,
            delivered_at=Coalesce(F("delivered_at"), Value(receipt.timestamp)),
            updated_at=timezone.now(),
        )
    )
    if changed:
        effects.broadcast(
            channel.tenant_id, "conversation.updated", {"conversation_id": conversation.pk}
        )
    return changed


def _sender_conversation(channel: Channel, event, effects: _Effects) -> tuple[Conversation, bool]:
    """The contact who sent a provider event (created or updated) and the conversation it
    belongs to (found, reopened or started)."""
    identity = contact_upsert(
        channel=channel,
        external_id=event.contact_external_id,
        name=event.contact_name,
        effects=effects,
    )
    return conversation_for(
        channel=channel,
        identity=identity,
        provider_conversation_id=event.conversation_external_id,
        at=event.timestamp,
        effects=effects,
    )


def _attribution_set(conversation: Conversation, referral, channel: Channel) -> None:
    data = referral.as_dict()
    data["provider"] = channel.provider
    data["received_at"] = timezone.now().isoformat()
    previous = conversation.attribution or {}
    if previous.get("ad_id") or previous.get("ref"):
        data["previous"] = {k: v for k, v in previous.items() if k != "previous"}
    conversation.attribution = data
    fields = ["attribution", "updated_at"]
    if referral.ad_id:
        conversation.ad_id = referral.ad_id[:64]
        conversation.campaign_name = (referral.campaign or referral.ad_name)[:200]
        if referral.campaign:
            conversation.campaign_id = referral.campaign[:64]
            fields.append("campaign_id")
        conversation.source = (
            Conversation.Source.TIKTOK_AD
            if channel.provider == "tiktok"
            else Conversation.Source.META_AD
        )
        fields += ["ad_id", "campaign_name", "source"]
    conversation.save(update_fields=fields)


def referral_record(*, channel: Channel, event: ReferralEvent, effects: _Effects) -> Conversation:
    conversation, created = _sender_conversation(channel, event, effects)
    _attribution_set(conversation, event.referral, channel)
    # A TikTok ad referral alone (before any message) already starts a reportable conversation.
    signals_conversation_attributed(conversation=conversation)
    ref = event.referral
    if ref.ad_id:
        text = _("Arrived from ad “%(name)s” (%(ad)s)") % {
            "name": ref.ad_name or ref.ad_id,
            "ad": ref.ad_id,
        }
    else:
        text = _("Arrived from link “%(ref)s”") % {"ref": ref.ref or ref.source}
    activity = Message.objects.create(
        tenant=channel.tenant,
        conversation=conversation,
        channel=channel,
        kind=Message.Kind.ACTIVITY,
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.SYSTEM,
        text=text,
        status=Message.Status.RECEIVED,
        metadata={"type": "referral", "referral": ref.as_dict()},
        created_at=event.timestamp,
    )
    if created:
        conversation.last_message_preview = text[:200]
        conversation.save(update_fields=["last_message_preview", "updated_at"])
    else:
        crm_event_emit(
            tenant=channel.tenant,
            event_type="conversation.updated",
            data=events.conversation_data(conversation),
        )
    effects.broadcast(
        channel.tenant_id,
        "message.created",
        {"conversation_id": conversation.pk, "message_id": activity.pk},
    )
    return conversation
