"""Writes for Web Push: subscribing a device, a person's setting, and notifying of a new
customer message (run by a task after the message is committed)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Message
from tenants.locale import person_language, shipped

from .client import push_send
from .models import NotificationSetting, PushSubscription
from .selectors import push_recipients

log = logging.getLogger(__name__)

TEXT_PREVIEW_CHARS = 120
# A push service that is down or throttling is tried again, with the shared backoff, for
# about a quarter of an hour; past that the notification has lost its point.
PUSH_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 600


def _clean_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint or "")
    allowed = ("https", "http") if settings.WEB_PUSH_ALLOW_PRIVATE_ENDPOINTS else ("https",)
    if parts.scheme not in allowed or not parts.hostname or len(endpoint) > 2000:
        raise ValidationError({"endpoint": _("Not a push service address.")})
    return endpoint


def push_subscription_save(
    *, tenant, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """This device, for this person in this business (a browser re-subscribing, or another
    person signing in on it, takes the row over)."""
    endpoint = _clean_endpoint(endpoint)
    if not p256dh or not auth or len(p256dh) > 200 or len(auth) > 100:
        raise ValidationError({"keys": _("The browser sent no encryption keys.")})
    subscription, _created = PushSubscription.objects.for_tenant(tenant).update_or_create(
        tenant=tenant,
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:300],
            "last_error": "",
        },
    )
    return subscription


def push_subscription_delete(*, tenant, user, endpoint: str) -> int:
    deleted, _details = (
        PushSubscription.objects.for_tenant(tenant).filter(user=user, endpoint=endpoint).delete()
    )
    return deleted


def notification_setting_save(
    *, tenant, user, scope: str, include_text: bool
) -> NotificationSetting:
    if scope not in NotificationSetting.Scope.values:
        raise ValidationError({"scope": _("Choose which conversations to hear about.")})
    setting, _created = NotificationSetting.objects.for_tenant(tenant).update_or_create(
        tenant=tenant,
        user=user,
        defaults={"scope": scope, "include_text": include_text, "updated_at": timezone.now()},
    )
    return setting


def _payload(message: Message, include_text: bool) -> dict:
    conversation = message.conversation
    channel = message.channel
    contact = conversation.contact.name or _("Unknown contact")
    body = f"{channel.get_provider_display()} · {channel.name}"
    if include_text:
        text = message.text or conversation.last_message_preview
        if text:
            body = f"{body}: {text[:TEXT_PREVIEW_CHARS]}"
    return {
        "title": _("New message from %(name)s") % {"name": contact},
        "body": body,
        "url": f"/t/{conversation.tenant.slug}/inbox/?c={conversation.pk}",
        "tag": f"parley-conversation-{conversation.pk}",
        "conversation_id": conversation.pk,
    }


def push_notify_new_messages(*, message_ids: list[int]) -> int:
    """The pushes of one processing pass's new messages (``inbox/ingest/pipeline.py``): the
    tenants with a subscribed device are read once, in one query, and only their messages are
    loaded (in one more); a tenant nobody subscribed in costs nothing per message."""
    if not message_ids:
        return 0
    tenants = set(
        Message.objects.filter(pk__in=message_ids)
        .filter(tenant_id__in=PushSubscription.objects.values("tenant_id"))
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    if not tenants:
        return 0
    messages = _new_messages().filter(pk__in=message_ids, tenant_id__in=tenants).order_by("pk")
    return sum(_notify_message(message) for message in messages)


def push_notify_new_message(*, message_id: int) -> int:
    """A push to every device of every member who may see the message's conversation and
    asked to hear about it. Returns how many pushes the push services accepted."""
    return _notify(message_id=message_id)


def push_retry(*, message_id: int, subscription_id: int, attempt: int) -> int:
    """Try one device again after its push service failed for a while. Who may see the
    conversation is checked again: a person removed meanwhile hears nothing."""
    return _notify(message_id=message_id, only_subscription=subscription_id, attempt=attempt)


def _new_messages():
    return Message.objects.select_related(
        "conversation__contact", "conversation__tenant", "channel"
    ).filter(
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.CUSTOMER,
        kind=Message.Kind.MESSAGE,
    )


def _notify(*, message_id: int, only_subscription: int | None = None, attempt: int = 1) -> int:
    message = _new_messages().filter(pk=message_id).first()
    if message is None:
        return 0
    return _notify_message(message, only_subscription=only_subscription, attempt=attempt)


def _notify_message(
    message: Message, *, only_subscription: int | None = None, attempt: int = 1
) -> int:
    message_id = message.pk
    conversation = message.conversation
    delivered = 0
    for setting, subscriptions in push_recipients(conversation=conversation):
        chosen = [s for s in subscriptions if only_subscription in (None, s.pk)]
        if not chosen:
            continue
        # In the person's language, else the business's.
        language = shipped(person_language(setting.user)) or shipped(
            conversation.tenant.default_language
        )
        with translation.override(language or settings.LANGUAGE_CODE):
            payload = _payload(message, setting.include_text)
        for subscription in chosen:
            delivered += _send_one(subscription, payload, message_id=message_id, attempt=attempt)
    return delivered


def _send_one(
    subscription: PushSubscription, payload: dict, *, message_id: int, attempt: int
) -> int:
    result = push_send(
        endpoint=subscription.endpoint,
        p256dh=subscription.p256dh,
        auth=subscription.auth,
        payload=payload,
    )
    if result.subscription_gone:
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return 0
    if result.delivered:
        PushSubscription.objects.filter(pk=subscription.pk).update(
            last_sent_at=timezone.now(), last_error=""
        )
        return 1
    log.warning("push to subscription %s failed: %s", subscription.pk, result.status)
    PushSubscription.objects.filter(pk=subscription.pk).update(
        last_error=(f"{result.status} {result.detail}").strip()[:300]
    )
    if result.transient and attempt < PUSH_ATTEMPTS:
        effects.task_send(
            effects.PUSH_RETRY,
            message_id,
            subscription.pk,
            attempt + 1,
            countdown=effects.backoff_seconds(
                attempt, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS
            ),
        )
    return 0
