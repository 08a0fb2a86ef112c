"""Zalo Official Account webhooks: the signature (``X-ZEvent-Signature: mac=<hex
sha256(app_id + body + timestamp + OA secret key)>`` — a plain SHA-256, not an HMAC), the dedup
key and the parsing of events. Django-free."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from ..base import (
    ActivityEvent,
    AttachmentRef,
    InboundMessage,
    MessageChange,
    ParsedBatch,
    PayloadError,
    StatusUpdate,
    as_list,
    body_hash,
    from_epoch_ms,
    header,
    require,
    shape_checked,
)

NAME = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MEDIA = {"image": "image", "gif": "image", "audio": "audio", "video": "video", "sticker": "sticker"}
STATUS_EVENTS = ("user_received_message", "user_seen_message")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(value: Any) -> str:
    """Zalo ids are strings in the documentation, numbers in some deliveries."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | str):
        if len(str(value)) > 64:  # no Zalo id is this long: a hostile or broken payload
            raise PayloadError("id too long")
        return str(value)
    return ""


def _field(value: Any) -> str:
    """A signed field as text (never raises: the signature must answer for any body)."""
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""


def _party(payload: dict, key: str) -> str:
    party = payload.get(key) or {}
    return _id(party.get("id")) if isinstance(party, dict) else ""


def webhook_account_id(payload: Any) -> str:
    """The OA the event is for: ``oa_id`` (follow/unfollow), the recipient of what a user
    sends, the sender of the OA's own messages and of delivery/seen statuses."""
    if not isinstance(payload, dict):
        return ""
    if payload.get("oa_id") is not None:
        return _id(payload.get("oa_id"))
    event = _text(payload.get("event_name"))
    if event.startswith(("user_", "anonymous_")) and event not in STATUS_EVENTS:
        return _party(payload, "recipient")
    return _party(payload, "sender")


def signature(raw_body: bytes, secret: str) -> str:
    """``mac=`` + hex SHA-256 of app_id + body + timestamp + secret (fields of the body)."""
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        return ""
    app_id, timestamp = _field(payload.get("app_id")), _field(payload.get("timestamp"))
    data = app_id.encode() + raw_body + timestamp.encode() + secret.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


def sign(raw_body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: signature(raw_body, secret)}


def verify_webhook(headers: Any, raw_body: bytes, secret: str) -> bool:
    value = header(headers, SIGNATURE_HEADER).strip()
    if not value or not secret:
        return False
    expected = signature(raw_body, secret)
    if not expected:
        return False
    if not value.startswith("mac="):  # some senders strip the prefix
        value = "mac=" + value
    return hmac.compare_digest(value.lower().encode(), expected.encode())


def dedup_key(raw_body: bytes, payload: Any) -> str:
    """The event name and message id (a redelivery carries the same), else the body hash."""
    if isinstance(payload, dict):
        message = payload.get("message")
        msg_id = _id(message.get("msg_id")) if isinstance(message, dict) else ""
        event = _text(payload.get("event_name"))
        if msg_id and event:
            return f"{NAME}:{event}:{msg_id}"[:191]
    return f"{NAME}:body:{body_hash(raw_body)}"


def _attachments(message: dict) -> tuple[tuple[AttachmentRef, ...], list[str]]:
    refs, texts = [], []
    for att in as_list(message.get("attachments"), "attachments"):
        if not isinstance(att, dict):
            raise PayloadError("attachment is not an object")
        kind = _text(att.get("type"))
        data = att.get("payload") or {}
        if not isinstance(data, dict):
            raise PayloadError("attachment payload is not an object")
        url = _text(data.get("url"))
        if kind in MEDIA:
            refs.append(AttachmentRef(kind=MEDIA[kind], url=url, media_id=_id(data.get("id"))))
        elif kind == "file":
            size = data.get("size")
            refs.append(
                AttachmentRef(
                    kind="file",
                    url=url,
                    size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
                )
            )
            texts.append(_text(data.get("name")))
        elif kind == "link":
            texts.append(" ".join(t for t in (_text(data.get("description")), url) if t))
        elif kind == "location":
            coordinates = data.get("coordinates") or {}
            if not isinstance(coordinates, dict):
                raise PayloadError("coordinates is not an object")
            lat, lon = coordinates.get("latitude"), coordinates.get("longitude")
            texts.append(f"📍 {lat}, {lon}")
        else:
            texts.append(f"[{kind or 'attachment'}]")
    return tuple(refs), [t for t in texts if t]


def _message(payload: dict, event: str, *, outgoing: bool) -> InboundMessage:
    message = require(payload, "message")
    if not isinstance(message, dict):
        raise PayloadError("message is not an object")
    msg_id = _id(require(message, "msg_id", "message"))
    oa, user = (
        (_party(payload, "sender"), _party(payload, "recipient"))
        if outgoing
        else (_party(payload, "recipient"), _party(payload, "sender"))
    )
    if not (msg_id and oa and user):
        raise PayloadError("message without msg_id, sender or recipient")
    attachments, texts = _attachments(message)
    text = "\n".join(t for t in (_text(message.get("text")), *texts) if t)
    kind = event.split("_send_", 1)[-1]
    return InboundMessage(
        account_id=oa,
        conversation_external_id="",
        contact_external_id=user,
        contact_name="",
        message_id=msg_id,
        timestamp=from_epoch_ms(require(payload, "timestamp")),
        text=text,
        attachments=attachments,
        direction="out" if outgoing else "in",
        is_echo=outgoing,
        reply_to=_id(message.get("quote_msg_id")),
        message_type=kind,
    )


@shape_checked
def parse(payload: Any) -> ParsedBatch:
    if not isinstance(payload, dict):
        raise PayloadError("not a Zalo payload")
    event = _text(require(payload, "event_name"))
    out: dict[str, list] = {"messages": [], "statuses": [], "activities": [], "changes": []}
    ignored: list[str] = []
    if event.startswith("user_send_"):
        out["messages"].append(_message(payload, event, outgoing=False))
    elif event.startswith("oa_send_"):
        # our own send echoed, or an admin typing in Zalo's OA chat (sender.admin_id)
        out["messages"].append(_message(payload, event, outgoing=True))
    elif event in STATUS_EVENTS:
        message = require(payload, "message")
        if not isinstance(message, dict):
            raise PayloadError("message is not an object")
        ids = message.get("msg_ids") if event == "user_seen_message" else [message.get("msg_id")]
        for msg_id in as_list(ids, "msg_ids"):
            out["statuses"].append(
                StatusUpdate(
                    account_id=_party(payload, "sender"),
                    message_id=_id(msg_id),
                    status="read" if event == "user_seen_message" else "delivered",
                    timestamp=from_epoch_ms(require(payload, "timestamp")),
                    recipient_id=_party(payload, "recipient"),
                )
            )
    elif event == "user_reacted_message":
        message = require(payload, "message")
        if not isinstance(message, dict):
            raise PayloadError("message is not an object")
        out["changes"].append(
            MessageChange(
                account_id=_party(payload, "recipient"),
                message_id=_id(require(message, "msg_id", "message")),
                kind="reaction",
                timestamp=from_epoch_ms(require(payload, "timestamp")),
                emoji=_text(message.get("react_icon")),
            )
        )
    elif event in ("follow", "unfollow"):
        follower = require(payload, "follower")
        user = _id(require(follower, "id", "follower"))
        timestamp = _id(require(payload, "timestamp"))
        out["activities"].append(
            ActivityEvent(
                account_id=_id(require(payload, "oa_id")),
                conversation_external_id="",
                contact_external_id=user,
                contact_name="",
                event_id=f"{user}:{timestamp}",
                kind=event,
                timestamp=from_epoch_ms(timestamp),
            )
        )
    else:
        ignored.append(f"{event or 'unnamed'} event")
    return ParsedBatch(**{k: tuple(v) for k, v in out.items()}, ignored=tuple(ignored))
