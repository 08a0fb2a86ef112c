"""The contact who wrote and the conversation a provider event belongs to: found, created or
reopened, with the identity row locked so two workers never open two conversations."""

from __future__ import annotations

from functools import partial

from django.utils import timezone

from inbox import effects
from inbox.models import Channel, Contact, ContactIdentity, Conversation
from inbox.outbound_webhooks.payloads import contact_payload, conversation_payload
from inbox.phone_numbers import whatsapp_phone
from inbox.providers import registry
from inbox.services._sql import insert_ignore_conflict


def contact_upsert(*, channel: Channel, external_id: str, name: str):
    """The identity (locked for this transaction) and its contact; creates both if new."""
    # A provider's profile name is untrusted: longer than the columns hold, it is cut, never a
    # DataError that keeps the event failing (fuzzed WhatsApp profile names found it).
    name = (name or "")[: Contact._meta.get_field("name").max_length]
    identity = (
        ContactIdentity.objects.select_for_update()
        .select_related("contact")
        .filter(channel=channel, external_id=external_id)
        .first()
    )
    if identity is None:
        phone = whatsapp_phone(external_id) if channel.provider == "whatsapp" else ""
        contact = Contact.objects.create(tenant=channel.tenant, name=name or "", phone=phone)
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
            effects.webhook_event(
                tenant=channel.tenant,
                event_type="contact.created",
                data=partial(contact_payload, contact),
            )
    elif name and not identity.contact.name:
        identity.contact.name = name
        identity.contact.save(update_fields=["name", "updated_at"])
    if name and identity.username != name:
        identity.username = name
        identity.save(update_fields=["username"])
    return identity


def conversation_for(
    *,
    channel: Channel,
    identity: ContactIdentity,
    provider_conversation_id: str,
    at,
) -> tuple[Conversation, bool]:
    """The contact's current conversation on this channel, or a new one. The caller holds
    the identity's row lock, so two workers never open two conversations for one contact."""
    qs = Conversation.objects.for_tenant(channel.tenant).filter(
        channel=channel, contact=identity.contact, kind=Conversation.Kind.MESSAGES
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
        conversation.tenant = channel.tenant  # the same row: no query when it is read
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
    effects.webhook_event(
        tenant=channel.tenant,
        event_type="conversation.created",
        data=partial(conversation_payload, conversation),
    )
    effects.live_hint(
        tenant_id=channel.tenant_id, event="conversation.created", conversation_id=conversation.pk
    )
    return conversation, True


def sender_conversation(channel: Channel, event) -> tuple[Conversation, bool]:
    """The contact who sent a provider event (created or updated) and the conversation it
    belongs to (found, reopened or started)."""
    identity = contact_upsert(
        channel=channel,
        external_id=event.contact_external_id,
        name=event.contact_name,
    )
    return conversation_for(
        channel=channel,
        identity=identity,
        provider_conversation_id=event.conversation_external_id,
        at=event.timestamp,
    )


def attribution_set(conversation: Conversation, referral, channel: Channel) -> None:
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
        conversation.source = registry.get(channel.provider).AD_SOURCE
        fields += ["ad_id", "campaign_name", "source"]
    conversation.save(update_fields=fields)
