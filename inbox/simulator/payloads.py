"""Send webhooks exactly as the providers send them — built by each provider's fake, signed with
the secret the provider would use (the app's, or the channel's) — through the real ingest path
(signature check included)."""

from __future__ import annotations

import json

from django.db import transaction

from inbox.ingest.intake import IngestResult, webhook_ingest
from inbox.providers import registry


def signing_secret(channel) -> str:
    module = registry.get(channel.provider)
    if module.SIGNED_PER_CHANNEL:
        return module.channel_webhook_secret(channel)
    return module.webhook_secrets()[0]


def post_signed(*, channel, payload: dict) -> IngestResult:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Parley-Simulator"}
    headers.update(registry.get(channel.provider).sign(raw, signing_secret(channel)))
    # In a transaction: the event is enqueued on commit, synchronously (a management command
    # may exit right after; the request hot path's dispatcher thread would not get to run).
    with transaction.atomic():
        return webhook_ingest(provider=channel.provider, headers=headers, raw_body=raw)


def simulate_inbound(*, channel, name: str, text: str, ad_id: str = "") -> list[IngestResult]:
    """Send correctly signed webhooks as customer ``name`` of ``channel``."""
    from .store import DatabaseStore

    fake = registry.get(channel.provider).fake()
    fake.before_inbound(DatabaseStore(), name)
    return [
        post_signed(channel=channel, payload=payload)
        for payload in fake.inbound_payloads(
            account_id=channel.account_id, name=name, text=text, ad_id=ad_id
        )
    ]


def simulate_statuses(*, message) -> list[IngestResult]:
    """For a message sent to a simulated channel: the customer's phone receives and reads it."""
    from inbox.models import ContactIdentity

    channel = message.channel
    identity = (
        ContactIdentity.objects.for_tenant(message.tenant_id)
        .filter(channel=channel, contact=message.conversation.contact_id)
        .first()
    )
    if identity is None or not message.provider_message_id:
        return []
    fake = registry.get(channel.provider).fake()
    return [
        post_signed(channel=channel, payload=payload)
        for payload in fake.status_payloads(
            account_id=channel.account_id,
            customer_id=identity.external_id,
            conversation_id=message.conversation.provider_conversation_id,
            message_id=message.provider_message_id,
        )
    ]


def simulate_comment(
    *, channel, post_id: str, name: str, text: str, parent_id: str = ""
) -> list[IngestResult]:
    """A customer comments under one of ``channel``'s posts: correctly signed webhooks
    through the real ingest path (providers whose fake has comments)."""
    from .store import DatabaseStore

    fake = registry.get(channel.provider).fake()
    return [
        post_signed(channel=channel, payload=payload)
        for payload in fake.comment_payloads(
            DatabaseStore(),
            account_id=channel.account_id,
            post_id=post_id,
            name=name,
            text=text,
            parent_id=parent_id,
        )
    ]


def comment_providers() -> list[str]:
    """Providers whose fake can post a comment as a customer."""
    return [
        name
        for name, module in registry.PROVIDERS.items()
        if hasattr(module.fake(), "comment_payloads")
    ]
