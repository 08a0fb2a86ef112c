"""Provider name → provider module. Adding LINE or Zalo means adding one module to ``BUILT_IN``
(and its fake under ``inbox/simulator/fakes/``); nothing else in Parley names a provider.

A provider module (or any object with the same attributes, as the in-suite test provider is)
offers the surface listed in ``REQUIRED``; ``docs/architecture.md`` ("How to add a provider")
explains each name.
"""

from __future__ import annotations

from typing import Any

from . import base, instagram, line, messenger, tiktok, whatsapp, zalo

REQUIRED = (
    # who it is
    "NAME",
    "LABEL",
    "MAX_TEXT_LENGTH",
    "SIGNATURE_HEADER",
    "AD_SOURCE",
    "TOKEN_ERROR_CODES",
    # webhooks: verify (app-wide or per-channel secret), handshake, dedup, parse
    "SIGNED_PER_CHANNEL",
    "webhook_secrets",
    "webhook_account_id",
    "channel_webhook_secret",
    "verify_webhook",
    "webhook_handshake",
    "sign",
    "dedup_key",
    "parse",
    # outbound HTTP
    "FAKE_API_PATH",
    "api_base_url",
    "http_options",
    "send_text",
    "send_recipient",
    "fetch_media",
    "HAS_PROFILE_API",
    "fetch_profile_name",
    # reply-window rules (composer, API and automation all ask these)
    "reply_tag",
    "reply_window",
    "reply_window_problem",
    # connecting a channel: a form, or OAuth steps; token upkeep
    "CONNECT",
    "CONNECT_LABEL",
    "CONNECT_HELP",
    "connect_form",
    "connect_with_form",
    "oauth_authorize_url",
    "connect_with_code",
    "credentials_need_refresh",
    "refresh_credentials",
    "revoke_credentials",
    # the simulator's fake of this provider
    "fake",
)

# Parts a provider may offer; ``register`` gives a module that lacks one the default.
OPTIONAL: dict[str, Any] = {
    # OAuth with PKCE: the channel pages keep a code verifier in the session and pass
    # ``code_verifier`` to ``oauth_authorize_url`` and ``connect_with_code``
    "PKCE": False,
    # an OAuth provider that asks for something first (Zalo: the OA's webhook secret key):
    # its ``connect_form`` is shown, and its cleaned data reaches ``connect_with_code(data=…)``
    "OAUTH_FORM": False,
    # the allowance left for one customer, for the composer (Zalo: free replies, from its
    # quota call): ``reply_allowance(client, *, base_url, credentials, recipient, **opts)``
    "reply_allowance": base.no_reply_allowance,
    # lines for the channel page (LINE's monthly quota): ``channel_usage(client, *, base_url,
    # credentials, account_id, **opts) -> list[str]``
    "channel_usage": base.no_channel_usage,
    # what the composer says about sending now, besides the window (LINE: reply token or push):
    # ``reply_note(*, last_customer_message_at, now) -> str``
    "reply_note": base.no_reply_note,
    # a send may spend the reply token the customer's last message brought (LINE): the
    # delivery then looks for an unused one
    "REPLY_TOKENS": False,
}

BUILT_IN = (tiktok, whatsapp, messenger, instagram, line, zalo)

PROVIDERS: dict[str, Any] = {}


def register(provider: Any) -> Any:
    """Add a provider; refuses one that lacks part of the surface (named in the error)."""
    missing = [name for name in REQUIRED if not hasattr(provider, name)]
    if missing:
        raise TypeError(f"provider {provider!r} lacks {', '.join(missing)}")
    if provider.CONNECT not in ("form", "oauth"):
        raise TypeError(f"provider {provider.NAME!r}: CONNECT must be 'form' or 'oauth'")
    for name, default in OPTIONAL.items():
        if not hasattr(provider, name):
            setattr(provider, name, default)
    PROVIDERS[provider.NAME] = provider
    return provider


def unregister(name: str) -> None:
    PROVIDERS.pop(name, None)


def get(name: str) -> Any:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown provider {name!r}") from None


def comments(name: str) -> Any | None:
    """The provider's comment surface (``COMMENTS``: Facebook Page posts, Instagram media,
    TikTok videos), or None for a provider without public comments. Optional: a provider
    module need not offer it."""
    provider = PROVIDERS.get(name)
    return getattr(provider, "COMMENTS", None) if provider is not None else None


def choices() -> list[tuple[str, str]]:
    """``Channel.provider``'s choices: whatever is registered."""
    return [(name, provider.LABEL) for name, provider in PROVIDERS.items()]


def label(name: str) -> str:
    provider = PROVIDERS.get(name)
    return provider.LABEL if provider is not None else name


for _module in BUILT_IN:
    register(_module)
