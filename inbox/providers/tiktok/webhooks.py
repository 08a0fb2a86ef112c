"""TikTok webhooks: the signature and the parsing of Business Messaging events.

Wire formats: ``/work/shared/providers.md`` (TikTok section). Imports nothing from Django.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from ..base import (
    AttachmentRef,
    InboundMessage,
    ParsedBatch,
    PayloadError,
    ReadReceipt,
    Referral,
    ReferralEvent,
    body_hash,
    clean_strings,
    constant_time_equal,
    from_epoch_ms,
    from_epoch_seconds,
    header,
    hmac_sha256_hex,
    require,
    shape_checked,
)
from .comments import comment_dedup_key, parse_comment_event

SIGNATURE_HEADER = "Tiktok-Signature"
DEFAULT_TOLERANCE = 300  # seconds; a setting in Django (TIKTOK_WEBHOOK_TOLERANCE_SECONDS)
EVENTS = (
    "im_receive_msg",
    "im_receive_msg_eu",
    "im_send_msg",
    "im_referral_msg",
    "im_mark_read_msg",
    "comment.update",
)
ATTACHMENT_TYPES = ("image", "video", "sticker", "share_post", "emoji")


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
        event = payload.get("event", "")
        if event == "comment.update" and content.get("comment_id"):
            return comment_dedup_key(payload, content)
        msg_id = content.get("message_id")
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
    if event == "comment.update":
        return ParsedBatch(comments=(parse_comment_event(payload, content, business_id),))
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
