"""TikTok Business Messaging: webhooks, sending, media and the account OAuth.

Wire formats: ``/work/shared/providers.md`` (TikTok section). Business API calls go to
``{base_url}/open_api/v1.3/...``; ``base_url`` comes from settings (the simulator in demos and
tests, ``https://business-api.tiktok.com`` in production).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import (
    AttachmentRef,
    ChannelDraft,
    InboundMessage,
    MediaContent,
    ParsedBatch,
    PayloadError,
    ProviderError,
    ReadReceipt,
    Referral,
    ReferralEvent,
    SendResult,
    body_hash,
    check_text,
    clean_strings,
    constant_time_equal,
    download,
    from_epoch_ms,
    from_epoch_seconds,
    header,
    hmac_sha256_hex,
    http_request,
    json_body,
    no_account_in_payload,
    no_channel_secret,
    require,
    shape_checked,
)

NAME = "tiktok"
LABEL = "TikTok"
SIGNATURE_HEADER = "Tiktok-Signature"
DEFAULT_TOLERANCE = 300  # seconds; a setting in Django (TIKTOK_WEBHOOK_TOLERANCE)
MAX_TEXT_LENGTH = 6000
REPLY_WINDOW = timedelta(hours=48)
MAX_BUSINESS_MESSAGES = 10
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize"
PRODUCTION_BASE_URL = "https://business-api.tiktok.com"
REQUIRED_SCOPES = ("message.list.read", "message.list.send", "message.list.manage")
REQUESTED_SCOPES = ("user.info.basic", *REQUIRED_SCOPES)
AD_SOURCE = "tiktok_ad"
FAKE_API_PATH = "tiktok"
HAS_PROFILE_API = False
SIGNED_PER_CHANNEL = False  # one app secret signs every account's webhooks
CONNECT = "oauth"
CONNECT_LABEL = gettext_lazy("Connect a TikTok business account")
CONNECT_HELP = ""

EVENTS = (
    "im_receive_msg",
    "im_receive_msg_eu",
    "im_send_msg",
    "im_referral_msg",
    "im_mark_read_msg",
)
ATTACHMENT_TYPES = ("image", "video", "sticker", "share_post", "emoji")

TRANSIENT_CODES = {"40100", "51065", "40016", "40133"}
TOKEN_CODES = {"40102", "40104", "40105"}
TOKEN_ERROR_CODES = TOKEN_CODES  # the channel needs reconnecting
REFRESH_AHEAD = timedelta(hours=2)
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


# --- signatures ---------------------------------------------------------------------------


def sign(raw_body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    t = int(time.time()) if timestamp is None else int(timestamp)
    signed = f"{t}.".encode() + raw_body
    return {SIGNATURE_HEADER: f"t={t},s={hmac_sha256_hex(secret, signed)}"}


def verify_signature(
    headers: Any,
    raw_body: bytes,
    secret: str,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    value = header(headers, SIGNATURE_HEADER)
    if not value or not secret:
        return False
    parts: dict[str, str] = {}
    for piece in value.split(","):
        key, _, val = piece.strip().partition("=")
        parts[key] = val
    t, s = parts.get("t", ""), parts.get("s", "")
    if not (t.isascii() and t.isdigit() and len(t) <= 12) or not s:
        return False
    current = time.time() if now is None else now
    if abs(current - int(t)) > tolerance:
        return False
    expected = hmac_sha256_hex(secret, f"{t}.".encode() + raw_body)
    return constant_time_equal(expected, s.lower())


def verification_challenge(params: Any, verify_token: str) -> str | None:
    """TikTok has no GET handshake (the callback URL is registered through the API)."""
    return None


def webhook_handshake(params: Any) -> str | None:
    return None


def webhook_secrets() -> list[str]:
    """The app's client secret signs the webhooks of every connected account."""
    return [settings.TIKTOK_CLIENT_SECRET]


webhook_account_id = no_account_in_payload
channel_webhook_secret = no_channel_secret


def verify_webhook(headers: Any, raw_body: bytes, secret: str) -> bool:
    return verify_signature(
        headers, raw_body, secret, tolerance=settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS
    )


# --- parsing ------------------------------------------------------------------------------


def _content(payload: dict) -> dict:
    raw = require(payload, "content")
    if isinstance(raw, dict):  # tolerate an already-decoded content
        return raw
    if not isinstance(raw, str):
        raise PayloadError("content is neither a JSON string nor an object")
    try:
        content = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"content is not valid JSON: {getattr(exc, 'msg', exc)}") from exc
    if not isinstance(content, dict):
        raise PayloadError("content is not a JSON object")
    return clean_strings(content)


def dedup_key(raw_body: bytes, payload: Any) -> str:
    """Same event redelivered → same key. Prefer the message id; fall back to a body hash."""
    if isinstance(payload, dict):
        try:
            content = _content(payload)
        except PayloadError:
            content = {}
        msg_id = content.get("message_id")
        event = payload.get("event", "")
        if msg_id and event:
            return f"tiktok:{event}:{payload.get('user_openid', '')}:{msg_id}"
    return f"tiktok:body:{body_hash(raw_body)}"


def _user_id(content: dict, key: str) -> str:
    user = content.get(key) or {}
    return str(user.get("id", "")) if isinstance(user, dict) else ""


def _timestamp(content: dict, payload: dict) -> datetime:
    if content.get("timestamp") is not None:
        return from_epoch_ms(content["timestamp"])
    return from_epoch_seconds(require(payload, "create_time"))


def _referral(data: dict) -> Referral:
    source = str(data.get("source", ""))
    ad = data.get("ad") or {}
    short_link = data.get("short_link") or {}
    return Referral(
        source=source,
        ad_id=str(ad.get("ad_id", "")),
        advertiser_id=str(ad.get("advertiser_id", "")),
        ad_name=str(ad.get("ad_name", "")),
        material_id=str(ad.get("message_material_id", "")),
        ref=str(short_link.get("ref", "")),
        raw=data,
    )


def _message(payload: dict, content: dict, business_id: str, *, stripped: bool) -> InboundMessage:
    from_id, to_id = _user_id(content, "from_user"), _user_id(content, "to_user")
    outbound = bool(business_id) and from_id == business_id and to_id != business_id
    if payload.get("event") == "im_send_msg":
        outbound = True
    customer_id = to_id if outbound else from_id
    customer_name = str(content.get("to" if outbound else "from", "") or "")
    if not customer_id and not stripped:
        raise PayloadError("message without from_user/to_user ids")
    msg_type = str(content.get("type", "") or ("unknown" if stripped else "text")).lower()
    text = ""
    attachments: list[AttachmentRef] = []
    if msg_type == "text":
        text = str((content.get("text") or {}).get("body", ""))
    elif msg_type in ATTACHMENT_TYPES:
        block = content.get(msg_type) or {}
        if isinstance(block, dict):
            attachments.append(
                AttachmentRef(
                    kind=msg_type,
                    media_id=str(block.get("media_id", "")),
                    url=str(block.get("url") or block.get("embed_url") or ""),
                    mime_type=str(block.get("mime_type", "")),
                )
            )
            text = str(block.get("caption") or block.get("desc") or block.get("emoji") or "")
    elif msg_type == "reaction":
        text = str((content.get("reaction") or {}).get("emoji", ""))
    elif msg_type == "template":
        text = str((content.get("template") or {}).get("body", "") or "")
    message_id = str(content.get("message_id", "") or "")
    if not message_id:
        if not stripped:
            raise PayloadError("message without message_id")
        # EEA events may lack ids: derive a stable one so redelivery stays idempotent.
        message_id = (
            "eu-"
            + body_hash(
                json.dumps(
                    [payload.get("user_openid"), payload.get("create_time"), customer_id]
                ).encode()
            )[:32]
        )
    referenced = content.get("referenced_message_info") or {}
    return InboundMessage(
        account_id=business_id,
        conversation_external_id=str(content.get("conversation_id", "") or ""),
        contact_external_id=customer_id,
        contact_name=customer_name,
        message_id=message_id,
        timestamp=_timestamp(content, payload),
        text=text,
        attachments=tuple(attachments),
        direction="out" if outbound else "in",
        is_echo=outbound,
        reply_to=str(referenced.get("referenced_message_id", "") or ""),
        message_type=msg_type,
        content_stripped=stripped,
    )


@shape_checked
def parse(payload: Any) -> ParsedBatch:
    if not isinstance(payload, dict):
        raise PayloadError("the payload is not a JSON object")
    event = require(payload, "event")
    business_id = str(require(payload, "user_openid"))
    if event not in EVENTS:
        raise PayloadError(f"unknown TikTok event {event!r}")
    stripped = event == "im_receive_msg_eu"
    content = {} if stripped and not payload.get("content") else _content(payload)
    if event in ("im_receive_msg", "im_receive_msg_eu", "im_send_msg"):
        return ParsedBatch(messages=(_message(payload, content, business_id, stripped=stripped),))
    if event == "im_referral_msg":
        referral = content.get("referral")
        if not isinstance(referral, dict):
            raise PayloadError("im_referral_msg without referral")
        from_id = _user_id(content, "from_user")
        return ParsedBatch(
            referrals=(
                ReferralEvent(
                    account_id=business_id,
                    conversation_external_id=str(content.get("conversation_id", "") or ""),
                    contact_external_id=from_id,
                    contact_name=str(content.get("from", "") or ""),
                    timestamp=_timestamp(content, payload),
                    referral=_referral(referral),
                ),
            )
        )
    # im_mark_read_msg
    reader = _user_id(content, "from_user")
    if reader == business_id:
        return ParsedBatch(ignored=("the business read the conversation",))
    read = content.get("read") or {}
    ts = read.get("last_read_timestamp") if isinstance(read, dict) else None
    return ParsedBatch(
        reads=(
            ReadReceipt(
                account_id=business_id,
                conversation_external_id=str(content.get("conversation_id", "") or ""),
                contact_external_id=reader,
                timestamp=from_epoch_ms(ts) if ts else _timestamp(content, payload),
            ),
        )
    )


# --- sending and errors -------------------------------------------------------------------


def api_base_url() -> str:
    return settings.TIKTOK_BUSINESS_API_URL


def http_options() -> dict:
    return {}


def send_recipient(*, conversation_external_id: str, contact_external_id: str) -> str:
    """TikTok sends to the conversation id (the customer's id when none is known yet)."""
    return conversation_external_id or contact_external_id


def fetch_profile_name(client: httpx.Client, **kwargs: Any) -> str:
    return ""  # TikTok webhooks carry the customer's display name


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
        return "On TikTok the customer must write first; this customer has not written yet."
    if now - last_customer_message_at > REPLY_WINDOW:
        return (
            "TikTok only allows replies within 48 hours of the customer's last message; "
            "wait for the customer to write again."
        )
    if business_messages_since_customer >= MAX_BUSINESS_MESSAGES:
        return (
            f"TikTok allows at most {MAX_BUSINESS_MESSAGES} messages before the customer "
            "answers; wait for the customer to reply."
        )
    return None


# --- OAuth --------------------------------------------------------------------------------


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


def fake():
    from inbox.simulator.fakes import tiktok as fake_tiktok

    return fake_tiktok
