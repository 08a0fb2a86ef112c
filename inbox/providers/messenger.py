"""Facebook Messenger (Pages). Account id = page id; conversation id = the customer's PSID."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import _meta, meta_comments
from .base import (
    AttachmentRef,
    InboundMessage,
    MediaContent,
    ParsedBatch,
    PayloadError,
    ProviderError,
    ReadReceipt,
    ReferralEvent,
    SendResult,
    StatusUpdate,
    as_list,
    body_hash,
    check_text,
    download,
    from_epoch_ms,
    meta_entry_account,
    no_account_in_payload,
    no_channel_secret,
    no_oauth,
    no_refresh,
    no_refresh_needed,
    no_revoke,
    require,
    shape_checked,
)

NAME = "messenger"
LABEL = "Messenger"
SIGNATURE_HEADER = _meta.SIGNATURE_HEADER
GRAPH_VERSION = _meta.GRAPH_VERSION
PRODUCTION_BASE_URL = _meta.PRODUCTION_BASE_URL
MAX_TEXT_LENGTH = 2000
REPLY_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"
HAS_PROFILE_API = True  # webhooks carry no name: the profile API gives it, once per contact
CONNECT_LABEL = gettext_lazy("Connect a Facebook page (Messenger)")
CONNECT_HELP = gettext_lazy(
    "Enter the page id and a page access token with the pages_messaging permission."
)

AD_SOURCE = _meta.AD_SOURCE
FAKE_API_PATH = _meta.FAKE_API_PATH
SIGNED_PER_CHANNEL = _meta.SIGNED_PER_CHANNEL
TOKEN_ERROR_CODES = _meta.TOKEN_ERROR_CODES
CONNECT = _meta.CONNECT

sign = _meta.sign
verify_signature = _meta.verify_signature
verification_challenge = _meta.verification_challenge
webhook_secrets = _meta.webhook_secrets
webhook_handshake = _meta.webhook_handshake
verify_webhook = _meta.verify_webhook
webhook_account_id = no_account_in_payload
route_account_id = meta_entry_account
channel_webhook_secret = no_channel_secret
api_base_url = _meta.api_base_url
http_options = _meta.http_options
send_recipient = _meta.send_recipient
oauth_authorize_url = connect_with_code = no_oauth
credentials_need_refresh = no_refresh_needed
refresh_credentials = no_refresh
revoke_credentials = no_revoke


def dedup_key(raw_body: bytes, payload: Any) -> str:
    return _meta.dedup_key(NAME, raw_body)


_referral = _meta.referral_from


def _attachments(message: dict) -> tuple[AttachmentRef, ...]:
    result = []
    for att in as_list(message.get("attachments"), "attachments"):
        if not isinstance(att, dict):
            continue
        payload = att.get("payload") or {}
        kind = str(att.get("type", "file"))
        if payload.get("sticker_id") or message.get("sticker_id"):
            kind = "sticker"
        result.append(
            AttachmentRef(
                kind=kind,
                media_id=str(payload.get("sticker_id", "") or payload.get("attachment_id", "")),
                url=str(payload.get("url", "") or ""),
            )
        )
    return tuple(result)


def _event(page_id: str, ev: dict, out: dict[str, list]) -> None:
    sender = str((ev.get("sender") or {}).get("id", ""))
    recipient = str((ev.get("recipient") or {}).get("id", ""))
    ts = from_epoch_ms(ev["timestamp"]) if ev.get("timestamp") is not None else None
    if "message" in ev:
        message = ev["message"]
        if not isinstance(message, dict):
            raise PayloadError("message is not an object")
        echo = bool(message.get("is_echo"))
        customer = recipient if echo else sender
        if not customer:
            raise PayloadError("messaging event without sender/recipient")
        referral = message.get("referral")
        quick = message.get("quick_reply") or {}
        out["messages"].append(
            InboundMessage(
                account_id=page_id,
                conversation_external_id=customer,
                contact_external_id=customer,
                contact_name="",
                message_id=str(require(message, "mid", "message")),
                timestamp=ts or from_epoch_ms(require(ev, "timestamp", "messaging")),
                text=str(message.get("text", "") or quick.get("title", "") or ""),
                attachments=_attachments(message),
                direction="out" if echo else "in",
                is_echo=echo,
                reply_to=str((message.get("reply_to") or {}).get("mid", "") or ""),
                referral=_referral(referral) if isinstance(referral, dict) else None,
                message_type="text" if message.get("text") else "attachment",
            )
        )
    elif "postback" in ev:
        postback = ev["postback"] or {}
        referral = postback.get("referral")
        mid = (
            postback.get("mid")
            or "pb-"
            + body_hash(
                json.dumps([page_id, sender, ev.get("timestamp"), postback.get("payload")]).encode()
            )[:32]
        )
        out["messages"].append(
            InboundMessage(
                account_id=page_id,
                conversation_external_id=sender,
                contact_external_id=sender,
                contact_name="",
                message_id=str(mid),
                timestamp=ts or from_epoch_ms(require(ev, "timestamp", "messaging")),
                text=str(postback.get("title", "") or ""),
                referral=_referral(referral) if isinstance(referral, dict) else None,
                message_type="postback",
            )
        )
    elif "referral" in ev:
        out["referrals"].append(
            ReferralEvent(
                account_id=page_id,
                conversation_external_id=sender,
                contact_external_id=sender,
                contact_name="",
                timestamp=ts or from_epoch_ms(require(ev, "timestamp", "messaging")),
                referral=_referral(ev["referral"] or {}),
            )
        )
    elif "delivery" in ev:
        delivery = ev["delivery"] or {}
        watermark = delivery.get("watermark")
        for mid in as_list(delivery.get("mids"), "mids"):
            out["statuses"].append(
                StatusUpdate(
                    account_id=page_id,
                    message_id=str(mid),
                    status="delivered",
                    timestamp=from_epoch_ms(watermark) if watermark else ts,
                    recipient_id=sender,
                )
            )
    elif "read" in ev:
        watermark = (ev["read"] or {}).get("watermark")
        out["reads"].append(
            ReadReceipt(
                account_id=page_id,
                conversation_external_id=sender,
                contact_external_id=sender,
                timestamp=from_epoch_ms(watermark) if watermark else ts,
            )
        )
    else:
        out["ignored"].append("unsupported messaging event " + ",".join(sorted(ev)))


@shape_checked
def parse(payload: Any) -> ParsedBatch:
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise PayloadError("not a page payload")
    out: dict[str, list] = {"messages": [], "statuses": [], "referrals": [], "reads": []}
    out["ignored"], out["comments"] = [], []
    for entry in as_list(require(payload, "entry"), "entry"):
        if not isinstance(entry, dict):
            raise PayloadError("entry is not an object")
        page_id = str(require(entry, "id", "entry"))
        if "changes" in entry:  # the feed field: comments under the page's posts
            meta_comments.parse_feed_entry(page_id, entry, out)
        if "messaging" not in entry:
            if "changes" not in entry:
                out["ignored"].append("entry without messaging (standby)")
            continue
        for ev in as_list(entry["messaging"], "messaging"):
            if not isinstance(ev, dict):
                raise PayloadError("messaging event is not an object")
            _event(page_id, ev, out)
    return ParsedBatch(**{k: tuple(v) for k, v in out.items()})


def tag_for_reply(*, last_customer_message_at: datetime | None, now: datetime) -> str:
    """HUMAN_AGENT after 24 h (human agents only), nothing inside the standard window."""
    if last_customer_message_at and now - last_customer_message_at > REPLY_WINDOW:
        return HUMAN_AGENT_TAG
    return ""


def reply_tag(*, author_kind: str, last_customer_message_at: datetime | None, now: datetime) -> str:
    """Human agents may reply for 7 days with HUMAN_AGENT; automated replies may not."""
    if author_kind != "agent":
        return ""
    return tag_for_reply(last_customer_message_at=last_customer_message_at, now=now)


def reply_window(*, author_kind: str) -> timedelta:
    return HUMAN_AGENT_WINDOW if author_kind == "agent" else REPLY_WINDOW


def send_text(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    version: str = GRAPH_VERSION,
    tag: str = "",
    **opts: Any,
) -> SendResult:
    """``account_id`` is the page id; ``recipient`` the customer's PSID."""
    check_text(text, MAX_TEXT_LENGTH)
    body: dict[str, Any] = {"recipient": {"id": recipient}, "message": {"text": text}}
    if tag:
        body["messaging_type"] = "MESSAGE_TAG"
        body["tag"] = tag
    else:
        body["messaging_type"] = "RESPONSE"
    data = _meta.graph_post(
        client,
        _meta.graph_url(base_url, version, f"{account_id}/messages"),
        credentials,
        LABEL,
        body,
    )
    if not data.get("message_id"):
        raise ProviderError(
            "Messenger did not return a message id.", code="bad_response", permanent=False
        )
    return SendResult(provider_message_id=str(data["message_id"]))


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
    """Messenger gives attachment URLs in the webhook; Parley downloads them server-side."""
    if not url:
        raise ProviderError("This attachment has no URL.", code="no_url", permanent=True)
    return download(client, url)


def fetch_profile(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    psid: str,
    version: str = GRAPH_VERSION,
) -> dict:
    """The customer's public profile (Messenger webhooks carry no name)."""
    return _meta.graph_get(
        client,
        _meta.graph_url(base_url, version, psid),
        credentials,
        LABEL,
        params={"fields": "first_name,last_name,profile_pic"},
    )


def display_name(profile: dict) -> str:
    return " ".join(p for p in (profile.get("first_name"), profile.get("last_name")) if p)


def fetch_profile_name(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    external_id: str,
    version: str = GRAPH_VERSION,
    **opts: Any,
) -> str:
    profile = fetch_profile(
        client, base_url=base_url, credentials=credentials, psid=external_id, version=version
    )
    return display_name(profile)


def connect_form(*args: Any, **kwargs: Any) -> _meta.ConnectForm:
    form = _meta.ConnectForm(*args, **kwargs)
    del form.fields["waba_id"]
    return form


def connect_with_form(client: httpx.Client, *, base_url: str, data: dict):
    return _meta.connect_with_form(
        client, base_url=base_url, data=data, validate=validate_credentials, label=LABEL
    )


def validate_credentials(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    version: str = GRAPH_VERSION,
) -> dict:
    """Check the page token belongs to the page; returns ``{id, name}``."""
    data = _meta.graph_get(
        client,
        _meta.graph_url(base_url, version, "me"),
        credentials,
        LABEL,
        params={"fields": "id,name"},
    )
    if str(data.get("id", "")) != str(account_id):
        raise ProviderError(
            "This page access token belongs to another page.", code="mismatch", permanent=True
        )
    return data


def reply_window_problem(
    *,
    last_customer_message_at: datetime | None,
    business_messages_since_customer: int,
    now: datetime,
    tag: str = "",
) -> str | None:
    if last_customer_message_at is None:
        return _("On Messenger the customer must write first.")
    age = now - last_customer_message_at
    if age <= REPLY_WINDOW:
        return None
    if tag == HUMAN_AGENT_TAG and age <= HUMAN_AGENT_WINDOW:
        return None
    if age <= HUMAN_AGENT_WINDOW:
        return _(
            "Messenger's 24-hour window is closed; only a human agent may still reply "
            "(HUMAN_AGENT tag, up to 7 days)."
        )
    return _(
        "Messenger only allows replies within 7 days of the customer's last message "
        "(24 hours for automated messages); the reply window is closed."
    )


# Comments under the page's posts (the ``feed`` webhook field): ``meta_comments``.
COMMENTS = meta_comments.FACEBOOK


def fake():
    from inbox.simulator.fakes import messenger as fake_messenger

    return fake_messenger
