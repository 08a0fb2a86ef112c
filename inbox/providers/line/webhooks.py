"""LINE webhooks: the signature (``X-Line-Signature``: base64 HMAC-SHA256 of the body with the
channel secret), the dedup key and the parsing of events. Django-free."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from ..base import (
    ActivityEvent,
    AttachmentRef,
    InboundMessage,
    MessageChange,
    ParsedBatch,
    PayloadError,
    as_list,
    body_hash,
    from_epoch_ms,
    header,
    require,
    shape_checked,
)

NAME = "line"
SIGNATURE_HEADER = "X-Line-Signature"
MEDIA_TYPES = {"image": "image", "video": "video", "audio": "audio", "file": "file"}


def webhook_secrets() -> list[str]:
    return []  # no app-wide secret: each channel has its own


def webhook_account_id(payload: Any) -> str:
    if not isinstance(payload, dict):
        return ""
    destination = payload.get("destination")
    return destination if isinstance(destination, str) else ""


def channel_webhook_secret(channel: Any) -> str:
    return str((channel.credentials or {}).get("channel_secret", ""))


def signature(raw_body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign(raw_body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: signature(raw_body, secret)}


def verify_webhook(headers: Any, raw_body: bytes, secret: str) -> bool:
    value = header(headers, SIGNATURE_HEADER)
    if not value or not secret:
        return False
    return hmac.compare_digest(value.encode(), signature(raw_body, secret).encode())


def webhook_handshake(params: Any) -> str | None:
    return None


def dedup_key(raw_body: bytes, payload: Any) -> str:
    """The batch's ``webhookEventId``s (a redelivery carries the same ids); the body hash when
    there are none (the console's empty test delivery)."""
    ids: list[str] = []
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        for event in payload["events"]:
            if isinstance(event, dict) and isinstance(event.get("webhookEventId"), str):
                ids.append(event["webhookEventId"])
    if not ids:
        return f"{NAME}:body:{body_hash(raw_body)}"
    joined = ",".join(sorted(ids))
    if len(joined) > 180:
        joined = "h:" + hashlib.sha256(joined.encode()).hexdigest()
    return f"{NAME}:{joined}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _location(message: dict) -> str:
    lines = [_text(message.get("title")), _text(message.get("address"))]
    lat, lon = message.get("latitude"), message.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        lines.append(f"{lat:.6f}, {lon:.6f}")
    return "📍 " + "\n".join(line for line in lines if line)


def _message(destination: str, event: dict, user_id: str, at: datetime) -> InboundMessage:
    message = event["message"]
    if not isinstance(message, dict):
        raise PayloadError("message is not an object")
    kind = _text(require(message, "type", "message"))
    message_id = _text(require(message, "id", "message"))
    if not message_id:
        raise PayloadError("message id is not a string")
    text, attachments = "", ()
    if kind == "text":
        text = _text(message.get("text"))
    elif kind in MEDIA_TYPES:
        provider = message.get("contentProvider") or {}
        if not isinstance(provider, dict):
            raise PayloadError("contentProvider is not an object")
        external = provider.get("type") == "external"
        size = message.get("fileSize")
        attachments = (
            AttachmentRef(
                kind=MEDIA_TYPES[kind],
                media_id="" if external else message_id,
                url=_text(provider.get("originalContentUrl")) if external else "",
                size=size if isinstance(size, int) and size >= 0 else None,
            ),
        )
        if kind == "file":
            text = _text(message.get("fileName"))
    elif kind == "sticker":
        sticker = _text(str(require(message, "stickerId", "sticker")))
        attachments = (AttachmentRef(kind="sticker", media_id=f"sticker:{sticker}"),)
    elif kind == "location":
        text = _location(message)
    else:
        text = f"[{kind}]"
    return InboundMessage(
        account_id=destination,
        conversation_external_id="",
        contact_external_id=user_id,
        contact_name="",
        message_id=message_id,
        timestamp=at,
        text=text,
        attachments=attachments,
        reply_to=_text(message.get("quotedMessageId")),
        message_type=kind,
        reply_token=_text(event.get("replyToken")),
    )


def _event_id(event: dict, raw: str) -> str:
    event_id = event.get("webhookEventId")
    if isinstance(event_id, str) and event_id:
        return event_id
    return body_hash(raw.encode())[:32]


@shape_checked
def parse(payload: Any) -> ParsedBatch:
    if not isinstance(payload, dict):
        raise PayloadError("not a LINE payload")
    destination = require(payload, "destination")
    if not isinstance(destination, str) or not destination:
        raise PayloadError("destination is not a string")
    out: dict[str, list] = {"messages": [], "activities": [], "changes": [], "ignored": []}
    for event in as_list(require(payload, "events"), "events"):
        if not isinstance(event, dict):
            raise PayloadError("event is not an object")
        kind = _text(require(event, "type", "event"))
        source = event.get("source") or {}
        if not isinstance(source, dict):
            raise PayloadError("source is not an object")
        if source.get("type") != "user":
            out["ignored"].append(
                f"{kind} from a {source.get('type')!s} (group chats are not read)"
            )
            continue
        user_id = _text(require(source, "userId", "source"))
        if not user_id or len(user_id) > 64:
            raise PayloadError("userId is not a string")
        at = from_epoch_ms(require(event, "timestamp", "event"))
        if kind == "message":
            out["messages"].append(_message(destination, event, user_id, at))
        elif kind == "unsend":
            unsend = require(event, "unsend", "event")
            message_id = _text(require(unsend, "messageId", "unsend"))
            out["changes"].append(
                MessageChange(
                    account_id=destination, message_id=message_id, kind="unsend", timestamp=at
                )
            )
        elif kind in ("follow", "unfollow"):
            out["activities"].append(
                ActivityEvent(
                    account_id=destination,
                    conversation_external_id="",
                    contact_external_id=user_id,
                    contact_name="",
                    event_id=_event_id(event, f"{kind}:{user_id}:{event['timestamp']}"),
                    kind=kind,
                    timestamp=at,
                    reply_token=_text(event.get("replyToken")),
                )
            )
        else:
            out["ignored"].append(f"{kind} event")
    return ParsedBatch(**{k: tuple(v) for k, v in out.items()})
