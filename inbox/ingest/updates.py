"""Provider events about what already exists: delivery statuses, read receipts, referrals."""

from __future__ import annotations

from functools import partial

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Channel, Conversation, Message
from inbox.outbound_webhooks.payloads import conversation_payload, message_payload
from inbox.providers.base import ReadReceipt, ReferralEvent, StatusUpdate
from signals_app.services import signals_conversation_attributed

from .conversations import attribution_set, sender_conversation

STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


def _allowed_before(status: str) -> list[str]:
    """Statuses a message may be in for ``status`` to apply (never backwards)."""
    if status == Message.Status.FAILED:
        return [Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT]
    rank = STATUS_RANK[status]
    return [s for s, r in STATUS_RANK.items() if r < rank]


def status_apply(*, channel: Channel, update: StatusUpdate) -> bool:
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


def read_apply(*, channel: Channel, receipt: ReadReceipt) -> int:
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
        effects.live_hint(
            tenant_id=channel.tenant_id,
            event="conversation.updated",
            conversation_id=conversation.pk,
        )
    return changed


def referral_record(*, channel: Channel, event: ReferralEvent) -> Conversation:
    conversation, created = sender_conversation(channel, event)
    attribution_set(conversation, event.referral, channel)
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
        effects.webhook_event(
            tenant=channel.tenant,
            event_type="conversation.updated",
            data=partial(conversation_payload, conversation),
        )
    effects.live_hint(
        tenant_id=channel.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=activity.pk,
    )
    return conversation
