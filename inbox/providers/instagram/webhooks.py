"""Instagram messaging webhooks: ``{"object": "instagram", "entry": [...]}``.

Both API flavours (Instagram Login and Facebook Page) deliver the same envelope, routed on
``entry[].id`` (the Instagram professional account id). Events sit in ``entry[].messaging``,
in ``entry[].standby`` while another app holds the thread (handover), or — for test events
sent from the App Dashboard — in ``entry[].changes[{field: "messages", value: {...}}]``.
Other ``changes`` fields (comments, mentions) are not direct messages: noted and skipped.
"""

from __future__ import annotations

import json
from typing import Any

from .. import _meta
from ..base import (
    AttachmentRef,
    InboundMessage,
    MessageChange,
    ParsedBatch,
    PayloadError,
    ReadReceipt,
    ReferralEvent,
    as_list,
    body_hash,
    from_epoch_ms,
    require,
    shape_checked,
)
from .comments import COMMENT_FIELDS, parse_comment_change

OBJECT = "instagram"
# Instagram attachment type → Parley's attachment kind. Shares, reels, posts and stories are
# links to public (and soon expiring) pages, never downloaded; media is fetched server-side.
ATTACHMENT_KINDS = {
    "image": "image",
    "animated_image": "image",
    "video": "video",
    "audio": "audio",
    "file": "file",
    "sticker": "sticker",
    "share": "share_post",
    "ig_post": "share_post",
    "ig_reel": "share_post",
    "reel": "share_post",
    "story_mention": "share_post",
}
LIKE_HEART = "\u2764\ufe0f"
# Reaction names Meta sends beside (or, in older payloads, instead of) ``emoji``.
_REACTIONS = {
    "love": LIKE_HEART,
    "like": "\U0001f44d",
    "haha": "\U0001f606",
    "wow": "\U0001f62e",
    "sad": "\U0001f622",
    "angry": "\U0001f620",
}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _attachments(message: dict) -> tuple[list[AttachmentRef], str]:
    """The message's attachments and its type (``story_mention``, ``like_heart``, …)."""
    refs: list[AttachmentRef] = []
    message_type = ""
    for att in as_list(message.get("attachments"), "attachments"):
        if not isinstance(att, dict):
            continue
        kind = str(att.get("type", "file"))
        payload = att.get("payload") or {}
        if not isinstance(payload, dict):
            raise PayloadError("attachment payload is not an object")
        if kind == "like_heart":
            message_type = "like_heart"
            continue
        if kind in ("story_mention", "ig_reel", "reel", "ig_post", "share"):
            message_type = message_type or kind
        media_id = payload.get("ig_post_media_id") or payload.get("reel_video_id") or ""
        refs.append(
            AttachmentRef(
                kind=ATTACHMENT_KINDS.get(kind, "file"),
                media_id=str(media_id or payload.get("id", "") or ""),
                url=_text(payload.get("url")),
            )
        )
    return refs, message_type


def _message(ig_id: str, ev: dict, message: dict, out: dict[str, list]) -> None:
    sender = str((ev.get("sender") or {}).get("id", ""))
    recipient = str((ev.get("recipient") or {}).get("id", ""))
    ts = from_epoch_ms(require(ev, "timestamp", "messaging"))
    mid = str(require(message, "mid", "message"))
    echo = bool(message.get("is_echo"))
    customer = recipient if echo else sender
    if not customer:
        raise PayloadError("messaging event without sender/recipient")
    if message.get("is_deleted"):
        out["changes"].append(
            MessageChange(account_id=ig_id, message_id=mid, kind="unsend", timestamp=ts)
        )
        return
    attachments, message_type = _attachments(message)
    text = _text(message.get("text"))
    reply_to = message.get("reply_to") or {}
    if not isinstance(reply_to, dict):
        raise PayloadError("reply_to is not an object")
    story = reply_to.get("story")
    if isinstance(story, dict):
        message_type = "story_reply"
        attachments.append(
            AttachmentRef(
                kind="share_post",
                media_id=str(story.get("id", "") or ""),
                url=_text(story.get("url")),
            )
        )
    if message_type == "like_heart" and not text:
        text = LIKE_HEART
    if message.get("is_unsupported"):
        message_type = "unsupported"
    referral = message.get("referral")
    out["messages"].append(
        InboundMessage(
            account_id=ig_id,
            conversation_external_id=customer,
            contact_external_id=customer,
            contact_name="",
            message_id=mid,
            timestamp=ts,
            text=text,
            attachments=tuple(attachments),
            direction="out" if echo else "in",
            is_echo=echo,
            reply_to=str(reply_to.get("mid", "") or ""),
            referral=_meta.referral_from(referral) if isinstance(referral, dict) else None,
            message_type=message_type or ("text" if text else "attachment"),
        )
    )


def _event(ig_id: str, ev: dict, out: dict[str, list]) -> None:
    sender = str((ev.get("sender") or {}).get("id", ""))
    if "message" in ev:
        message = ev["message"]
        if not isinstance(message, dict):
            raise PayloadError("message is not an object")
        _message(ig_id, ev, message, out)
        return
    ts = from_epoch_ms(require(ev, "timestamp", "messaging"))
    if "reaction" in ev:
        reaction = ev["reaction"]
        if not isinstance(reaction, dict):
            raise PayloadError("reaction is not an object")
        emoji = _text(reaction.get("emoji")) or _REACTIONS.get(_text(reaction.get("reaction")), "")
        out["changes"].append(
            MessageChange(
                account_id=ig_id,
                message_id=str(require(reaction, "mid", "reaction")),
                kind="reaction",
                timestamp=ts,
                emoji="" if reaction.get("action") == "unreact" else emoji or LIKE_HEART,
            )
        )
    elif "read" in ev:
        out["reads"].append(
            ReadReceipt(
                account_id=ig_id,
                conversation_external_id=sender,
                contact_external_id=sender,
                timestamp=ts,
            )
        )
    elif "postback" in ev:
        postback = ev["postback"]
        if not isinstance(postback, dict):
            raise PayloadError("postback is not an object")
        referral = postback.get("referral")
        # A postback's own ``mid`` is unconfirmed on Instagram: else a stable id of its content.
        mid = (
            postback.get("mid")
            or "pb-"
            + body_hash(
                json.dumps([ig_id, sender, ev.get("timestamp"), postback.get("payload")]).encode()
            )[:32]
        )
        out["messages"].append(
            InboundMessage(
                account_id=ig_id,
                conversation_external_id=sender,
                contact_external_id=sender,
                contact_name="",
                message_id=str(mid),
                timestamp=ts,
                text=_text(postback.get("title")),
                referral=_meta.referral_from(referral) if isinstance(referral, dict) else None,
                message_type="postback",
            )
        )
    elif "referral" in ev:
        referral = ev["referral"]
        if not isinstance(referral, dict):
            raise PayloadError("referral is not an object")
        out["referrals"].append(
            ReferralEvent(
                account_id=ig_id,
                conversation_external_id=sender,
                contact_external_id=sender,
                contact_name="",
                timestamp=ts,
                referral=_meta.referral_from(referral),
            )
        )
    else:
        out["ignored"].append("unsupported messaging event " + ",".join(sorted(ev)))


def _entry_events(entry: dict, out: dict[str, list]) -> list:
    events = [
        *as_list(entry.get("messaging"), "messaging"),
        *as_list(entry.get("standby"), "standby"),
    ]
    for change in as_list(entry.get("changes"), "changes"):
        if not isinstance(change, dict):
            raise PayloadError("change is not an object")
        if change.get("field") == "messages":  # a test event from the App Dashboard
            events.append(change.get("value"))
        elif change.get("field") in COMMENT_FIELDS:  # comments under the account's media
            out["comments"].append(
                parse_comment_change(
                    str(entry.get("id", "")), entry.get("time"), change["field"], change["value"]
                )
            )
        else:
            out["ignored"].append(f"change field {change.get('field')!r} is not a direct message")
    return events


@shape_checked
def parse(payload: Any) -> ParsedBatch:
    if not isinstance(payload, dict) or payload.get("object") != OBJECT:
        raise PayloadError("not an instagram payload")
    out: dict[str, list] = {
        "messages": [],
        "statuses": [],
        "referrals": [],
        "reads": [],
        "changes": [],
        "ignored": [],
        "comments": [],
    }
    for entry in as_list(require(payload, "entry"), "entry"):
        if not isinstance(entry, dict):
            raise PayloadError("entry is not an object")
        ig_id = str(require(entry, "id", "entry"))
        for ev in _entry_events(entry, out):
            if not isinstance(ev, dict):
                raise PayloadError("messaging event is not an object")
            _event(ig_id, ev, out)
    return ParsedBatch(**{k: tuple(v) for k, v in out.items()})
