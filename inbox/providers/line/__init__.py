"""LINE Official Account (Messaging API), in three rooms:

- ``webhooks``: the signature, the dedup key and the parsing of events (Django-free)
- ``api``: reply and push (with ``X-Line-Retry-Key``), content, profiles, the monthly quota,
  errors in plain words
- here: the provider surface the registry asks for (``registry.REQUIRED``)

Account id = the bot's user id (the webhook's ``destination``, learnt from ``GET /v2/bot/info``
when connecting); contact = the customer's LINE user id. Each Official Account has its own
channel secret, which signs its webhooks. Wire format: ``/work/shared/providers.md`` (LINE);
what the sources left open is listed in ``docs/channels.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..base import ChannelDraft, ProviderError, no_oauth, no_refresh, no_refresh_needed, no_revoke
from .api import (
    MAX_TEXT_LENGTH,
    PRODUCTION_BASE_URL,
    REPLY_TOKEN_FRESH,
    RETRY_KEY_HEADER,
    bot_info,
    channel_usage,
    error_for,
    fetch_media,
    fetch_profile_name,
    send_push,
    send_reply,
    send_text,
)
from .webhooks import (
    NAME,
    SIGNATURE_HEADER,
    channel_webhook_secret,
    dedup_key,
    parse,
    sign,
    signature,
    verify_webhook,
    webhook_account_id,
    webhook_handshake,
    webhook_secrets,
)

__all__ = [
    "MAX_TEXT_LENGTH",
    "NAME",
    "PRODUCTION_BASE_URL",
    "REPLY_TOKEN_FRESH",
    "RETRY_KEY_HEADER",
    "SIGNATURE_HEADER",
    "bot_info",
    "channel_usage",
    "channel_webhook_secret",
    "dedup_key",
    "error_for",
    "fetch_media",
    "fetch_profile_name",
    "parse",
    "send_push",
    "send_reply",
    "send_text",
    "sign",
    "signature",
    "verify_webhook",
    "webhook_account_id",
    "webhook_handshake",
    "webhook_secrets",
]

LABEL = "LINE"
AD_SOURCE = "organic"  # LINE webhooks carry no ad referral
TOKEN_ERROR_CODES = {"401"}  # the channel access token is invalid: reconnect
SIGNED_PER_CHANNEL = True
FAKE_API_PATH = "line"
HAS_PROFILE_API = True  # webhooks carry no name: GET /v2/bot/profile/{userId}
REPLY_TOKENS = True  # a send may use the reply token of the customer's last message
CONNECT = "form"
CONNECT_LABEL = gettext_lazy("Connect a LINE Official Account")
CONNECT_HELP = gettext_lazy(
    "In the LINE Developers console, open the Messaging API channel of your Official Account: "
    "copy the channel secret (Basic settings) and issue a long-lived channel access token "
    "(Messaging API). Then set the webhook URL below and turn on “Use webhook”."
)

oauth_authorize_url = connect_with_code = no_oauth
credentials_need_refresh = no_refresh_needed  # long-lived channel access token
refresh_credentials = no_refresh
revoke_credentials = no_revoke


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def api_base_url() -> str:
    return settings.LINE_API_URL


def http_options() -> dict:
    return {}


def send_recipient(*, conversation_external_id: str, contact_external_id: str) -> str:
    return contact_external_id


# --- rules the composer shows -------------------------------------------------------------


def reply_tag(*, author_kind: str, last_customer_message_at: datetime | None, now: datetime) -> str:
    return ""


def reply_window(*, author_kind: str) -> None:
    return None  # LINE may push to a friend of the account at any time


def reply_window_problem(
    *,
    last_customer_message_at: datetime | None,
    business_messages_since_customer: int,
    now: datetime,
    tag: str = "",
) -> str | None:
    return None


def reply_note(*, last_customer_message_at: datetime | None, now: datetime) -> str:
    if last_customer_message_at is not None and now - last_customer_message_at <= REPLY_TOKEN_FRESH:
        return _("Sent now, the reply uses the customer's reply token: free of charge.")
    return _(
        "The reply is sent as a push message, which counts against the account's monthly "
        "quota (shown on the Channels page)."
    )


# --- connecting ---------------------------------------------------------------------------


class ConnectForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    channel_secret = forms.RegexField(
        regex=r"^[0-9a-fA-F]{32}$",
        label=gettext_lazy("Channel secret"),
        widget=forms.PasswordInput(render_value=False),
        error_messages={
            "invalid": gettext_lazy("The channel secret is 32 hexadecimal characters.")
        },
    )
    access_token = forms.CharField(
        label=gettext_lazy("Channel access token"),
        widget=forms.PasswordInput(render_value=False),
        max_length=1000,
    )


def connect_form(*args: Any, **kwargs: Any) -> ConnectForm:
    return ConnectForm(*args, **kwargs)


def connect_with_form(client: httpx.Client, *, base_url: str, data: dict) -> ChannelDraft:
    """Check the token with the bot-info call, which also gives the id LINE puts in
    ``destination``."""
    credentials = {
        "access_token": str(data["access_token"]).strip(),
        "channel_secret": str(data["channel_secret"]).strip().lower(),
    }
    try:
        info = bot_info(client, base_url=base_url, credentials=credentials)
    except ProviderError as exc:
        if exc.permanent:
            raise ProviderError(
                _("LINE did not accept this channel access token."), code=exc.code, permanent=True
            ) from exc
        raise
    user_id = _text(info.get("userId"))
    if not user_id:
        raise ProviderError(
            _("LINE did not return the bot's id."), code="bad_response", permanent=True
        )
    display = _text(info.get("displayName")) or _text(info.get("basicId")) or user_id
    return ChannelDraft(
        account_id=user_id,
        name=data.get("name") or display,
        credentials=credentials,
    )


def fake():
    from inbox.simulator.fakes import line as fake_line

    return fake_line
