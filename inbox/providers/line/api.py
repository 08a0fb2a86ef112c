"""The LINE Messaging API: errors in plain words, reply and push (with the retry key),
content, profiles, the monthly quota, the bot-info check."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from django.utils.translation import gettext as _

from ..base import (
    MediaContent,
    ProviderError,
    SendResult,
    check_text,
    download,
    http_request,
    json_body,
)

MAX_TEXT_LENGTH = 5000
RETRY_KEY_HEADER = "X-Line-Retry-Key"
ACCEPTED_REQUEST_HEADER = "x-line-accepted-request-id"
PRODUCTION_BASE_URL = "https://api.line.me"
STICKER_CDN = "https://stickershop.line-scdn.net"
# LINE: use a reply token within one minute of the webhook; later use "is not guaranteed".
REPLY_TOKEN_FRESH = timedelta(seconds=50)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _data_url(base_url: str) -> str:
    """Content lives on ``api-data.line.me`` (the fake serves it beside the rest)."""
    return base_url.replace("://api.", "://api-data.", 1)


def _sticker_url(base_url: str, sticker_id: str) -> str:
    # The sticker image on LINE's public CDN (not part of the documented Messaging API).
    host = STICKER_CDN if base_url.rstrip("/") == PRODUCTION_BASE_URL else base_url
    return f"{host.rstrip('/')}/stickershop/v1/sticker/{sticker_id}/android/sticker.png"


def _auth(credentials: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


def error_for(status: int, data: dict) -> ProviderError:
    """LINE's answer (``{message, details?}``) as a ProviderError in plain words."""
    raw = _text(data.get("message")) or f"HTTP {status}"
    details = [
        f"{d.get('property')}: {d.get('message')}"
        for d in data.get("details") or []
        if isinstance(d, dict)
    ]
    said = ", ".join([raw, *details])
    if status == 429:
        if "monthly" in raw.lower():
            return ProviderError(
                _(
                    "This LINE Official Account has used up its monthly message quota; push "
                    "messages fail until next month or a larger plan (see the channel page)."
                ),
                code="monthly_limit",
                permanent=True,
                http_status=status,
            )
        return ProviderError(
            _("LINE is rate limiting this channel; the message will be retried."),
            code="429",
            permanent=False,
            http_status=status,
        )
    if status >= 500:
        return ProviderError(
            _("LINE is not answering properly (HTTP %(status)d); the message will be retried.")
            % {"status": status},
            code=str(status),
            permanent=False,
            http_status=status,
        )
    if status == 401:
        return ProviderError(
            _("LINE refused the channel access token; reconnect the channel."),
            code="401",
            permanent=True,
            http_status=status,
        )
    if status == 403:
        return ProviderError(
            _("This LINE channel is not allowed to send this message (plan or permission)."),
            code="403",
            permanent=True,
            http_status=status,
        )
    if "reply token" in raw.lower():
        return ProviderError(
            _("The reply token has expired or was used."),
            code="invalid_reply_token",
            permanent=True,
            http_status=status,
        )
    if any("'to'" in d or d.startswith("to:") for d in [raw, *details]):
        return ProviderError(
            _(
                "LINE does not accept messages to this customer (they may have blocked the "
                "account)."
            ),
            code="bad_recipient",
            permanent=True,
            http_status=status,
        )
    return ProviderError(
        _("LINE refused the message: %(reason)s") % {"reason": said[:300]},
        code=str(status),
        permanent=True,
        http_status=status,
    )


def _call(client: httpx.Client, method: str, url: str, credentials: dict, **kwargs: Any) -> dict:
    response = http_request(
        client, method, url, headers=_auth(credentials) | kwargs.pop("headers", {}), **kwargs
    )
    data = json_body(response)
    if response.status_code != 200:
        raise error_for(response.status_code, data)
    return data


def _sent_id(data: dict) -> str:
    sent = data.get("sentMessages")
    if isinstance(sent, list) and sent and isinstance(sent[0], dict) and sent[0].get("id"):
        return str(sent[0]["id"])
    raise ProviderError(
        _("LINE did not return a message id."), code="bad_response", permanent=False
    )


def send_reply(
    client: httpx.Client, *, base_url: str, credentials: dict, reply_token: str, text: str
) -> SendResult:
    data = _call(
        client,
        "POST",
        f"{base_url}/v2/bot/message/reply",
        credentials,
        json={"replyToken": reply_token, "messages": [{"type": "text", "text": text}]},
    )
    return SendResult(provider_message_id=_sent_id(data), reply_token=reply_token)


def send_push(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    recipient: str,
    text: str,
    retry_key: str,
) -> SendResult:
    """A push message, always with ``X-Line-Retry-Key``: LINE answers a repeated key with 409
    and does not send again, which here means the first attempt was delivered."""
    headers = {RETRY_KEY_HEADER: retry_key} if retry_key else {}
    response = http_request(
        client,
        "POST",
        f"{base_url}/v2/bot/message/push",
        headers=_auth(credentials) | headers,
        json={"to": recipient, "messages": [{"type": "text", "text": text}]},
    )
    data = json_body(response)
    if response.status_code == 409 and retry_key:
        sent = data.get("sentMessages")
        if isinstance(sent, list) and sent and isinstance(sent[0], dict) and sent[0].get("id"):
            return SendResult(provider_message_id=str(sent[0]["id"]))
        accepted = response.headers.get(ACCEPTED_REQUEST_HEADER) or retry_key
        return SendResult(provider_message_id=f"request:{accepted}")
    if response.status_code != 200:
        raise error_for(response.status_code, data)
    return SendResult(provider_message_id=_sent_id(data))


def send_text(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    reply_token: str = "",
    reply_token_at: datetime | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
    **opts: Any,
) -> SendResult:
    """With a fresh, unused reply token: a (free) reply; otherwise, or when LINE says the token
    is no longer good, a push message carrying the retry key."""
    check_text(text, MAX_TEXT_LENGTH)
    fresh = (
        reply_token
        and reply_token_at is not None
        and now is not None
        and now - reply_token_at <= REPLY_TOKEN_FRESH
    )
    if fresh:
        try:
            return send_reply(
                client,
                base_url=base_url,
                credentials=credentials,
                reply_token=reply_token,
                text=text,
            )
        except ProviderError as exc:
            if exc.code != "invalid_reply_token":
                raise
    return send_push(
        client,
        base_url=base_url,
        credentials=credentials,
        recipient=recipient,
        text=text,
        retry_key=idempotency_key,
    )


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
    """Content sent through LINE from the content endpoint; a sticker from LINE's sticker CDN;
    content hosted elsewhere (``contentProvider.type == "external"``) from its URL."""
    if media_id.startswith("sticker:"):
        return download(client, _sticker_url(base_url, media_id.removeprefix("sticker:")))
    if media_id:
        return download(
            client,
            f"{_data_url(base_url)}/v2/bot/message/{media_id}/content",
            headers=_auth(credentials),
        )
    if url:
        return download(client, url)
    raise ProviderError(_("This attachment has no content."), code="no_media", permanent=True)


def fetch_profile_name(
    client: httpx.Client, *, base_url: str, credentials: dict, external_id: str, **opts: Any
) -> str:
    data = _call(client, "GET", f"{base_url}/v2/bot/profile/{external_id}", credentials)
    return _text(data.get("displayName"))


def channel_usage(
    client: httpx.Client, *, base_url: str, credentials: dict, account_id: str, **opts: Any
) -> list[str]:
    """The month's push messages against the plan's quota (replies are not counted)."""
    quota = _call(client, "GET", f"{base_url}/v2/bot/message/quota", credentials)
    used = _call(client, "GET", f"{base_url}/v2/bot/message/quota/consumption", credentials)
    total = used.get("totalUsage", 0)
    if quota.get("type") == "limited":
        return [
            _("Messages this month: %(used)s of %(limit)s (push messages; replies are free).")
            % {"used": total, "limit": quota.get("value", "?")}
        ]
    return [_("Messages this month: %(used)s (no monthly limit).") % {"used": total}]


def bot_info(client: httpx.Client, *, base_url: str, credentials: dict) -> dict:
    return _call(client, "GET", f"{base_url}/v2/bot/info", credentials)
