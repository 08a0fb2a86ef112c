"""Reads of message templates: a channel's list, the ones an agent can send in a conversation."""

from __future__ import annotations

from itertools import groupby

from inbox.models import Channel, Conversation, MessageTemplate
from inbox.providers import registry


def channel_templates(*, channel: Channel):
    return MessageTemplate.objects.for_tenant(channel.tenant_id).filter(channel=channel)


def sendable_templates(*, conversation: Conversation) -> list[MessageTemplate]:
    """The approved templates of the conversation's channel ([] for a provider without
    templates)."""
    if not getattr(registry.get(conversation.channel.provider), "HAS_TEMPLATES", False):
        return []
    return list(
        channel_templates(channel=conversation.channel).filter(
            status=MessageTemplate.Status.APPROVED
        )
    )


def templates_by_name(templates: list[MessageTemplate]) -> list[tuple[str, list]]:
    """[(name, [template per language])] for the composer's picker."""
    ordered = sorted(templates, key=lambda t: (t.name, t.language))
    return [(name, list(group)) for name, group in groupby(ordered, key=lambda t: t.name)]


def purpose_template(*, channel: Channel, purpose: str) -> MessageTemplate | None:
    """The approved template chosen for a purpose (order summaries, reminders, CSAT)."""
    return (
        channel_templates(channel=channel)
        .filter(purpose=purpose, status=MessageTemplate.Status.APPROVED)
        .order_by("name", "language")
        .first()
    )
