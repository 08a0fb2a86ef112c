"""TikTok's Business API: sending, media, error mapping and the account OAuth.

Calls go to ``{base_url}/open_api/v1.3/...``; ``base_url`` comes from settings (the simulator
in demos and tests, ``https://business-api.tiktok.com`` in production). Imports nothing from
Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from ..base import (
    MediaContent,
    ProviderError,
    SendResult,
    check_text,
    download,
    http_request,
    json_body,
)

MAX_TEXT_LENGTH = 6000
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize"
PRODUCTION_BASE_URL = "https://business-api.tiktok.com"
REQUIRED_SCOPES = ("message.list.read", "message.list.send", "message.list.manage")
# Comments on the account's videos (optional: an account connected without them keeps its
# messaging; its comments simply do not arrive).
COMMENT_SCOPES = ("comment.list", "comment.list.manage", "video.list")
REQUESTED_SCOPES = ("user.info.basic", *REQUIRED_SCOPES, *COMMENT_SCOPES)
TRANSIENT_CODES = {"40100", "51065", "40016", "40133"}
TOKEN_CODES = {"40102", "40104", "40105"}
HUMAN_MESSAGES = {
    "40001": "TikTok refused: the app lacks permission to message for this account "
    "(reconnect the channel and grant the messaging scopes).",
    "40002": "TikTok rejected the message as invalid.",
    "40007": "TikTok could not find this conversation.",
    "40064": "TikTok blocked this message (the customer may have blocked the account, or too "
    "many messages were sent).",
    "40100": "TikTok is rate limiting this account; the message will be retried.",
    "40102": "The TikTok connection has expired; reconnect the channel.",
    "40104": "The TikTok connection is missing its access token; reconnect the channel.",
    "40105": "The TikTok access token is invalid; reconnect the channel.",
    "51065": "TikTok had a temporary problem; the message will be retried.",
}


def _api(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/open_api/v1.3/{path.lstrip('/')}"


def error_from_code(code: Any, message: str = "", http_status: int | None = None) -> ProviderError:
    code = str(code)
    human = HUMAN_MESSAGES.get(code) or f"TikTok error {code}: {message or 'unknown error'}"
    transient = code in TRANSIENT_CODES or (
        code.isascii() and code.isdigit() and int(code[:9]) >= 50000
    )
    return ProviderError(human, code=code, permanent=not transient, http_status=http_status)


def _check(response: httpx.Response) -> dict:
    status = response.status_code
    if status >= 500 or status == 429:
        raise ProviderError(
            f"TikTok answered HTTP {status}; the request will be retried.",
            code=f"http_{status}",
            permanent=False,
            http_status=status,
        )
    data = json_body(response)
    if status >= 400:
        if "code" in data and str(data["code"]) != "0":
            raise error_from_code(data["code"], str(data.get("message", "")), status)
        raise ProviderError(
            f"TikTok refused the request (HTTP {status}).",
            code=f"http_{status}",
            permanent=True,
            http_status=status,
        )
    if "code" not in data:
        raise ProviderError(
            "TikTok answered with an unexpected body.", code="bad_response", permanent=False
        )
    if str(data["code"]) != "0":
        raise error_from_code(data["code"], str(data.get("message", "")), status)
    return data.get("data") or {}


def send_text(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    **opts: Any,
) -> SendResult:
    """``recipient`` is the TikTok conversation id; ``account_id`` the business id."""
    check_text(text, MAX_TEXT_LENGTH)
    response = http_request(
        client,
        "POST",
        _api(base_url, "business/message/send/"),
        headers={"Access-Token": credentials.get("access_token", "")},
        json={
            "business_id": account_id,
            "recipient_type": "CONVERSATION",
            "recipient": recipient,
            "message_type": "TEXT",
            "text": {"body": text},
        },
    )
    data = _check(response)
    message_id = ((data.get("message") or {}).get("message_id")) or ""
    if not message_id:
        raise ProviderError(
            "TikTok did not return a message id.", code="bad_response", permanent=False
        )
    return SendResult(provider_message_id=str(message_id))


def fetch_media(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    media_id: str,
    conversation_id: str = "",
    message_id: str = "",
    media_type: str = "IMAGE",
    **opts: Any,
) -> MediaContent:
    """Ask TikTok for a short-lived download URL, then download the bytes server-side.
    (The download endpoint's shape is taken from public integrations, not providers.md.)"""
    response = http_request(
        client,
        "POST",
        _api(base_url, "business/message/media/download/"),
        headers={"Access-Token": credentials.get("access_token", "")},
        json={
            "business_id": account_id,
            "conversation_id": conversation_id,
            "message_id": message_id,
            "media_id": media_id,
            "media_type": media_type.upper(),
        },
    )
    data = _check(response)
    url = data.get("download_url") or ""
    if not url:
        raise ProviderError("TikTok returned no download URL.", code="no_url", permanent=True)
    return download(client, url)


@dataclass(frozen=True)
class TokenSet:
    open_id: str
    scopes: tuple[str, ...]
    access_token: str
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime

    def as_credentials(self) -> dict[str, Any]:
        return {
            "open_id": self.open_id,
            "scopes": list(self.scopes),
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat(),
        }


def authorization_url(
    *,
    client_key: str,
    redirect_uri: str,
    state: str,
    scopes: tuple[str, ...] = REQUESTED_SCOPES,
    authorize_url: str = AUTHORIZE_URL,
) -> str:
    query = urlencode(
        {
            "client_key": client_key,
            "response_type": "code",
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{authorize_url}?{query}"


def missing_scopes(granted: Any, required: tuple[str, ...] = REQUIRED_SCOPES) -> list[str]:
    if isinstance(granted, str):
        granted = [s.strip() for s in granted.replace(" ", ",").split(",") if s.strip()]
    have = set(granted or ())
    return [s for s in required if s not in have]


def _token_set(data: dict, now: datetime) -> TokenSet:
    try:
        scope = data.get("scope", "")
        scopes = tuple(s for s in str(scope).replace(" ", ",").split(",") if s)
        return TokenSet(
            open_id=str(data["open_id"]),
            scopes=scopes,
            access_token=str(data["access_token"]),
            expires_at=now + timedelta(seconds=int(data.get("expires_in", 86400))),
            refresh_token=str(data["refresh_token"]),
            refresh_expires_at=now
            + timedelta(seconds=int(data.get("refresh_token_expires_in", 31536000))),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError(
            "TikTok answered the token request with an unexpected body.",
            code="bad_response",
            permanent=True,
        ) from exc


def exchange_code(
    client: httpx.Client,
    *,
    base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    now: datetime,
) -> TokenSet:
    response = http_request(
        client,
        "POST",
        _api(base_url, "tt_user/oauth2/token/"),
        json={
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "authorization_code",
            "auth_code": code,
            "redirect_uri": redirect_uri,
        },
    )
    return _token_set(_check(response), now)


def refresh_token(
    client: httpx.Client,
    *,
    base_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    now: datetime,
) -> TokenSet:
    """The refresh token rotates: the caller must store the returned one."""
    response = http_request(
        client,
        "POST",
        _api(base_url, "tt_user/oauth2/refresh_token/"),
        json={
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
    )
    return _token_set(_check(response), now)


def revoke(
    client: httpx.Client, *, base_url: str, client_id: str, client_secret: str, access_token: str
) -> None:
    response = http_request(
        client,
        "POST",
        _api(base_url, "tt_user/oauth2/revoke/"),
        json={"client_id": client_id, "client_secret": client_secret, "access_token": access_token},
    )
    _check(response)
