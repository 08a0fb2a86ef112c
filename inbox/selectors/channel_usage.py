"""What a channel's provider says about its usage, read from the provider and kept for a few
minutes: the month's messages against the plan's quota (LINE) for the Channels page, the free
replies left for one customer (Zalo) for the composer."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from inbox.models import Channel, ContactIdentity
from inbox.providers import base, registry
from inbox.providers.base import ProviderError
from inbox.services import http

USAGE_CACHE_SECONDS = 300


def channel_usage(channel: Channel) -> list[str]:
    """Lines to show under the channel; [] for a provider without a quota to show."""
    module = registry.get(channel.provider)
    if module.channel_usage is base.no_channel_usage or channel.status == "disconnected":
        return []
    key = f"channel-usage:{channel.pk}:{get_language()}"
    lines = cache.get(key)
    if lines is not None:
        return lines
    try:
        with http.client_for(channel) as client:
            lines = module.channel_usage(
                client,
                base_url=http.base_url_for(channel),
                credentials=channel.credentials,
                account_id=channel.account_id,
                **http.provider_opts(channel.provider),
            )
    except ProviderError as exc:
        return [_("The usage could not be read: %(error)s") % {"error": exc.message}]
    lines = [str(line) for line in lines]
    cache.set(key, lines, USAGE_CACHE_SECONDS)
    return lines


ALLOWANCE_CACHE_SECONDS = 60


def reply_allowance(conversation) -> str:
    """What the provider says this customer may still receive (Zalo: free consultation
    replies, from its quota call), for the composer; "" for providers without one."""
    channel = conversation.channel
    module = registry.get(channel.provider)
    if module.reply_allowance is base.no_reply_allowance or channel.status == "disconnected":
        return ""
    identity = (
        ContactIdentity.objects.for_tenant(conversation.tenant_id)
        .filter(channel=channel, contact=conversation.contact_id)
        .values_list("external_id", flat=True)
        .first()
    )
    if not identity:
        return ""
    key = f"reply-allowance:{conversation.pk}:{conversation.last_message_at.timestamp()}"
    key += f":{get_language()}"
    text = cache.get(key)
    if text is not None:
        return text
    try:
        with http.client_for(channel) as client:
            text = str(
                module.reply_allowance(
                    client,
                    base_url=http.base_url_for(channel),
                    credentials=channel.credentials,
                    recipient=identity,
                    **http.provider_opts(channel.provider),
                )
            )
    except ProviderError:
        return ""
    cache.set(key, text, ALLOWANCE_CACHE_SECONDS)
    return text
