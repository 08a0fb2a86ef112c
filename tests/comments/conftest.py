"""Comments test world: the channels' world (simulated channels, signed webhooks) reused."""

from tests.channels.conftest import (  # noqa: F401
    _provider_settings,
    all_channels,
    fake,
    instagram_channel,
    messenger_channel,
    post_webhook,
    tiktok_channel,
    whatsapp_channel,
)
