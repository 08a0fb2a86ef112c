"""Zalo Official Account (OA API v3, OAuth v4), in three rooms:

- ``webhooks``: the signature, the dedup key and the parsing of events (Django-free)
- ``api``: the consultation send, profiles, the per-user quota, OAuth with PKCE and the
  single-use refresh token, Zalo's error codes in plain words
- here: the provider surface the registry asks for (``registry.REQUIRED``)

Account id = the OA id; contact = the user's id for this OA. Each OA has its own webhook
secret key (entered when connecting; OAuth does not give it). Wire format:
``/work/shared/providers.md`` (Zalo); what the sources left open: ``docs/channels.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..base import ChannelDraft, MediaContent, ProviderError, download, no_revoke
from .api import (
    MAX_TEXT_LENGTH,
    PRODUCTION_BASE_URL,
    TOKEN_CODES,
    TRANSIENT_CODES,
    check,
    code_challenge,
    error_from_code,
    exchange_code,
    fetch_profile_name,
    oa_info,
    refresh,
    reply_allowance,
    send_text,
)
from .webhooks import (
    NAME,
    SIGNATURE_HEADER,
    dedup_key,
    parse,
    sign,
    signature,
    verify_webhook,
    webhook_account_id,
)

__all__ = [
    "MAX_TEXT_LENGTH",
    "NAME",
    "PRODUCTION_BASE_URL",
    "SIGNATURE_HEADER",
    "TRANSIENT_CODES",
    "check",
    "dedup_key",
    "error_from_code",
    "fetch_profile_name",
    "parse",
    "reply_allowance",
    "send_text",
    "sign",
    "signature",
    "verify_webhook",
    "webhook_account_id",
]

LABEL = "Zalo"
AD_SOURCE = "organic"  # Zalo OA webhooks carry no ad referral
TOKEN_ERROR_CODES = TOKEN_CODES
SIGNED_PER_CHANNEL = True
FAKE_API_PATH = "zalo"
HAS_PROFILE_API = True  # webhooks carry no name: /v3.0/oa/user/detail
CONNECT = "oauth"
PKCE = True  # OAuth v4: the channel pages keep the code verifier in the session
OAUTH_FORM = True  # the OA's webhook secret key is asked before going to Zalo
CONNECT_LABEL = gettext_lazy("Connect a Zalo Official Account")
CONNECT_HELP = gettext_lazy(
    "In the Zalo for Developers console, open your app: under Webhook, set the webhook URL below, "
    "turn on the user and OA message events, and copy the OA Secret Key. Paste it here, then "
    "authorize Parley for your Official Account on Zalo."
)
REPLY_WINDOW = timedelta(days=7)  # consultation messages: interaction within 7 days
REFRESH_AHEAD = timedelta(hours=2)  # the access token lasts 25 hours

revoke_credentials = no_revoke  # Zalo documents no revoke call: Parley forgets the tokens


def webhook_secrets() -> list[str]:
    return []  # each OA has its own secret key


def channel_webhook_secret(channel: Any) -> str:
    return str((channel.credentials or {}).get("oa_secret_key", ""))


def webhook_handshake(params: Any) -> str | None:
    return None


def api_base_url() -> str:
    return settings.ZALO_OPENAPI_URL


def http_options() -> dict:
    return {}


def send_recipient(*, conversation_external_id: str, contact_external_id: str) -> str:
    return contact_external_id


def fetch_media(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    media_id: str = "",
    url: str = "",
    **opts: Any,
) -> MediaContent:
    """Zalo webhooks carry the attachment's URL on Zalo's CDN."""
    if not url:
        raise ProviderError(_("This attachment has no content."), code="no_media", permanent=True)
    return download(client, url)


# --- rules the composer shows ---------------------------------------------------------------


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
        return _("On Zalo the customer must write first; this customer has not written yet.")
    if now - last_customer_message_at > REPLY_WINDOW:
        return _(
            "Zalo only allows consultation messages within 7 days of the customer's last "
            "message; wait for the customer to write again."
        )
    return None


def reply_note(*, last_customer_message_at: datetime | None, now: datetime) -> str:
    return ""


# --- connecting ------------------------------------------------------------------------------


class ConnectForm(forms.Form):
    oa_secret_key = forms.CharField(
        label=gettext_lazy("OA Secret Key (webhook)"),
        widget=forms.PasswordInput(render_value=False),
        min_length=8,
        max_length=200,
    )


def connect_form(*args: Any, **kwargs: Any) -> ConnectForm:
    return ConnectForm(*args, **kwargs)


def connect_with_form(client: httpx.Client, **kwargs: Any) -> ChannelDraft:
    raise TypeError("Zalo connects through OAuth")


def oauth_authorize_url(
    *, redirect_uri: str, state: str, authorize_url: str = "", code_verifier: str = ""
) -> str:
    base = authorize_url or f"{settings.ZALO_OAUTH_URL}/v4/oa/permission"
    query = {
        "app_id": settings.ZALO_APP_ID,
        "redirect_uri": redirect_uri,
        "code_challenge": code_challenge(code_verifier),
        "state": state,
    }
    return f"{base}?{urlencode(query)}"


def _expires(credentials: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(str(credentials.get("expires_at", "")))
    except ValueError:
        return None


def connect_with_code(
    client: httpx.Client,
    *,
    base_url: str,
    code: str,
    redirect_uri: str,
    now: datetime,
    code_verifier: str = "",
    data: dict | None = None,
    **kwargs: Any,
) -> ChannelDraft:
    """Exchange the code (with the PKCE verifier), learn which OA it is for, keep the OA's
    webhook secret key entered before."""
    tokens = exchange_code(
        client,
        base_url=base_url,
        app_id=settings.ZALO_APP_ID,
        app_secret=settings.ZALO_APP_SECRET,
        code=code,
        code_verifier=code_verifier,
        now=now,
    )
    info = oa_info(client, base_url=base_url, credentials=tokens)
    oa_id = str(info.get("oa_id") or "")
    if not oa_id:
        raise ProviderError(
            _("Zalo did not say which Official Account this is."), code="no_oa", permanent=True
        )
    secret = str((data or {}).get("oa_secret_key", ""))
    return ChannelDraft(
        account_id=oa_id,
        name=str(info.get("name") or f"Zalo OA {oa_id}"),
        credentials={**tokens, "oa_secret_key": secret},
        token_expires_at=_expires(tokens),
    )


def credentials_need_refresh(
    *, credentials: dict, token_expires_at: datetime | None, now: datetime
) -> bool:
    expires = token_expires_at or _expires(credentials)
    return expires is not None and expires <= now + REFRESH_AHEAD


def refresh_credentials(
    client: httpx.Client, *, base_url: str, credentials: dict, now: datetime
) -> ChannelDraft:
    """Single use: the caller (``channel_refresh_token``, under the channel's row lock) stores
    the new pair before anything uses it; the OA's webhook secret key is kept."""
    tokens = refresh(
        client,
        base_url=base_url,
        app_id=settings.ZALO_APP_ID,
        app_secret=settings.ZALO_APP_SECRET,
        refresh_token=str(credentials.get("refresh_token", "")),
        now=now,
    )
    return ChannelDraft(
        account_id="",
        name="",
        credentials=tokens,
        token_expires_at=_expires(tokens),
    )


def fake():
    from inbox.simulator.fakes import zalo as fake_zalo

    return fake_zalo
