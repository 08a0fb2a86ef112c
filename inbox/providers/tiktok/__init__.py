"""TikTok Business Messaging: one provider, in three rooms.

- ``webhooks``: the signature and the parsing of webhook events (Django-free)
- ``api``: sending, media, error mapping and the account OAuth (Django-free)
- here: the provider surface the registry asks for (``registry.REQUIRED``), reading secrets and
  URLs from settings

Wire formats: ``/work/shared/providers.md`` (TikTok section).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..base import ChannelDraft, ProviderError, no_account_in_payload, no_channel_secret
from .api import (
    AUTHORIZE_URL,
    HUMAN_MESSAGES,
    MAX_TEXT_LENGTH,
    PRODUCTION_BASE_URL,
    REQUESTED_SCOPES,
    REQUIRED_SCOPES,
    TOKEN_CODES,
    TRANSIENT_CODES,
    TokenSet,
    authorization_url,
    error_from_code,
    exchange_code,
    fetch_media,
    missing_scopes,
    refresh_token,
    revoke,
    send_text,
)
from .comments import TIKTOK as TIKTOK_COMMENTS
from .webhooks import (
    ATTACHMENT_TYPES,
    DEFAULT_TOLERANCE,
    EVENTS,
    SIGNATURE_HEADER,
    dedup_key,
    parse,
    sign,
    verification_challenge,
    verify_signature,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "AUTHORIZE_URL",
    "DEFAULT_TOLERANCE",
    "EVENTS",
    "HUMAN_MESSAGES",
    "MAX_TEXT_LENGTH",
    "PRODUCTION_BASE_URL",
    "REQUESTED_SCOPES",
    "REQUIRED_SCOPES",
    "SIGNATURE_HEADER",
    "TRANSIENT_CODES",
    "TokenSet",
    "authorization_url",
    "dedup_key",
    "error_from_code",
    "exchange_code",
    "fetch_media",
    "missing_scopes",
    "parse",
    "refresh_token",
    "revoke",
    "send_text",
    "sign",
    "verification_challenge",
    "verify_signature",
]

NAME = "tiktok"
LABEL = "TikTok"
REPLY_WINDOW = timedelta(hours=48)
MAX_BUSINESS_MESSAGES = 10
AD_SOURCE = "tiktok_ad"
FAKE_API_PATH = "tiktok"
HAS_PROFILE_API = False  # webhooks carry the customer's display name
SIGNED_PER_CHANNEL = False  # one app secret signs every account's webhooks
CONNECT = "oauth"
CONNECT_LABEL = gettext_lazy("Connect a TikTok business account")
CONNECT_HELP = ""
TOKEN_ERROR_CODES = TOKEN_CODES  # the channel needs reconnecting
REFRESH_AHEAD = timedelta(hours=2)


# --- webhooks -----------------------------------------------------------------------------


def webhook_handshake(params: Any) -> str | None:
    return None


def webhook_secrets() -> list[str]:
    """The app's client secret signs the webhooks of every connected account."""
    return [settings.TIKTOK_CLIENT_SECRET]


webhook_account_id = no_account_in_payload


def route_account_id(payload: Any) -> str:
    """The business account a webhook is for (fairness key of pending events; not trusted
    for routing, which parses the event)."""
    return str(payload.get("user_openid") or "") if isinstance(payload, dict) else ""


channel_webhook_secret = no_channel_secret


def verify_webhook(headers: Any, raw_body: bytes, secret: str) -> bool:
    return verify_signature(
        headers, raw_body, secret, tolerance=settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS
    )


# --- sending -------------------------------------------------------------------------------


def api_base_url() -> str:
    return settings.TIKTOK_BUSINESS_API_URL


def http_options() -> dict:
    return {}


def send_recipient(*, conversation_external_id: str, contact_external_id: str) -> str:
    """TikTok sends to the conversation id (the customer's id when none is known yet)."""
    return conversation_external_id or contact_external_id


def fetch_profile_name(client: httpx.Client, **kwargs: Any) -> str:
    return ""  # TikTok webhooks carry the customer's display name


def reply_tag(*, author_kind: str, last_customer_message_at: datetime | None, now: datetime) -> str:
    return ""


def reply_window(*, author_kind: str) -> timedelta:
    return REPLY_WINDOW


def reply_window_problem(
    *,
    last_customer_message_at: datetime | None,
    business_messages_since_customer: int,
    now: datetime,
    tag: str = "",
) -> str | None:
    if last_customer_message_at is None:
        return _("On TikTok the customer must write first; this customer has not written yet.")
    if now - last_customer_message_at > REPLY_WINDOW:
        return _(
            "TikTok only allows replies within 48 hours of the customer's last message; "
            "wait for the customer to write again."
        )
    if business_messages_since_customer >= MAX_BUSINESS_MESSAGES:
        return _(
            "TikTok allows at most %(count)d messages before the customer answers; wait for "
            "the customer to reply."
        ) % {"count": MAX_BUSINESS_MESSAGES}
    return None


# --- connecting a channel -----------------------------------------------------------------


def connect_form(*args: Any, **kwargs: Any):
    raise TypeError("TikTok connects through OAuth, not a form")


def connect_with_form(client: httpx.Client, **kwargs: Any) -> ChannelDraft:
    raise TypeError("TikTok connects through OAuth, not a form")


def oauth_authorize_url(*, redirect_uri: str, state: str, authorize_url: str = "") -> str:
    return authorization_url(
        client_key=settings.TIKTOK_CLIENT_KEY,
        redirect_uri=redirect_uri,
        state=state,
        authorize_url=authorize_url or settings.TIKTOK_AUTH_URL,
    )


def _draft(tokens: TokenSet) -> ChannelDraft:
    return ChannelDraft(
        account_id=tokens.open_id,
        name=f"TikTok {tokens.open_id[-6:]}",
        credentials=tokens.as_credentials(),
        token_expires_at=tokens.expires_at,
    )


def connect_with_code(
    client: httpx.Client, *, base_url: str, code: str, redirect_uri: str, now: datetime
) -> ChannelDraft:
    """Finish the OAuth flow: exchange the code, insist on the messaging scopes."""
    tokens = exchange_code(
        client,
        base_url=base_url,
        client_id=settings.TIKTOK_CLIENT_KEY,
        client_secret=settings.TIKTOK_CLIENT_SECRET,
        code=code,
        redirect_uri=redirect_uri,
        now=now,
    )
    missing = missing_scopes(tokens.scopes)
    if missing:
        raise ProviderError(
            _(
                "TikTok did not grant the permissions Parley needs: %(scopes)s. Connect again and "
                "allow them."
            )
            % {"scopes": ", ".join(missing)},
            code="scopes",
            permanent=True,
        )
    return _draft(tokens)


def credentials_need_refresh(
    *, credentials: dict, token_expires_at: datetime | None, now: datetime
) -> bool:
    expires = token_expires_at
    if expires is None and credentials.get("expires_at"):
        try:
            expires = datetime.fromisoformat(credentials["expires_at"])
        except ValueError:
            expires = None
    return expires is not None and expires <= now + REFRESH_AHEAD


def refresh_credentials(
    client: httpx.Client, *, base_url: str, credentials: dict, now: datetime
) -> ChannelDraft:
    """The refresh token rotates: the caller must store the returned credentials at once."""
    tokens = refresh_token(
        client,
        base_url=base_url,
        client_id=settings.TIKTOK_CLIENT_KEY,
        client_secret=settings.TIKTOK_CLIENT_SECRET,
        refresh_token=credentials.get("refresh_token", ""),
        now=now,
    )
    return _draft(tokens)


def revoke_credentials(client: httpx.Client, *, base_url: str, credentials: dict) -> None:
    if not credentials.get("access_token"):
        return
    revoke(
        client,
        base_url=base_url,
        client_id=settings.TIKTOK_CLIENT_KEY,
        client_secret=settings.TIKTOK_CLIENT_SECRET,
        access_token=credentials["access_token"],
    )


# Comments on the account's videos (``comment.update`` and the comment API): ``comments``.
COMMENTS = TIKTOK_COMMENTS


def fake():
    from inbox.simulator.fakes import tiktok as fake_tiktok

    return fake_tiktok
