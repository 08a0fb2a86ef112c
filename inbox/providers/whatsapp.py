"""WhatsApp Business Cloud API. Account id = ``phone_number_id``; conversation id = ``wa_id``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import _meta
from .base import (
    AttachmentRef,
    InboundMessage,
    MediaContent,
    ParsedBatch,
    PayloadError,
    ProviderError,
    Referral,
    SendResult,
    StatusUpdate,
    as_list,
    check_text,
    download,
    from_epoch_seconds,
    meta_entry_account,
    no_account_in_payload,
    no_channel_secret,
    no_oauth,
    no_profile_name,
    no_refresh,
    no_refresh_needed,
    no_revoke,
    require,
    shape_checked,
)
from .whatsapp_templates import fetch_templates as fetch_templates
from .whatsapp_templates import send_template as send_template
from .whatsapp_templates import template_status

NAME = "whatsapp"
LABEL = "WhatsApp"
SIGNATURE_HEADER = _meta.SIGNATURE_HEADER
GRAPH_VERSION = _meta.GRAPH_VERSION
PRODUCTION_BASE_URL = _meta.PRODUCTION_BASE_URL
MAX_TEXT_LENGTH = 4096
REPLY_WINDOW = timedelta(hours=24)
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
HAS_PROFILE_API = False  # webhooks carry the customer's profile name
CONNECT_LABEL = gettext_lazy("Connect a WhatsApp Cloud API number")
CONNECT_HELP = gettext_lazy(
    "Enter the phone number id, the WhatsApp business account id and a system user token from "
    "Meta's WhatsApp Manager."
)
fetch_profile_name = no_profile_name
# Message templates (optional capability, asked by ``inbox.services.templates``): the
# channel's business account is ``Channel.waba_id``.
HAS_TEMPLATES = True
TEMPLATE_STATUS_FIELD = "message_template_status_update"

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


def _referral(data: dict) -> Referral:
    return Referral(
        source=str(data.get("source_type", "") or "ad"),
        ad_id=str(data.get("source_id", "")),
        ad_name=str(data.get("headline", "")),
        ctwa_clid=str(data.get("ctwa_clid", "")),
        ref=str(data.get("source_url", "")),
        raw=data,
    )


def _message(account_id: str, names: dict[str, str], msg: dict) -> InboundMessage:
    sender = str(require(msg, "from", "message"))
    msg_type = str(msg.get("type", "text"))
    text = ""
    attachments: list[AttachmentRef] = []
    if msg_type == "text":
        text = str((msg.get("text") or {}).get("body", ""))
    elif msg_type in MEDIA_TYPES:
        block = msg.get(msg_type) or {}
        attachments.append(
            AttachmentRef(
                kind=msg_type,
                media_id=str(block.get("id", "")),
                mime_type=str(block.get("mime_type", "")),
            )
        )
        text = str(block.get("caption", "") or "")
    elif msg_type == "button":
        text = str((msg.get("button") or {}).get("text", ""))
    elif msg_type == "interactive":
        inter = msg.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        text = str(reply.get("title", ""))
    elif msg_type == "reaction":
        text = str((msg.get("reaction") or {}).get("emoji", ""))
    elif msg_type == "location":
        loc = msg.get("location") or {}
        text = (
            " ".join(str(x) for x in (loc.get("name"), loc.get("address")) if x)
            or f"{loc.get('latitude')}, {loc.get('longitude')}"
        )
    referral = msg.get("referral")
    return InboundMessage(
        account_id=account_id,
        conversation_external_id=sender,
        contact_external_id=sender,
        contact_name=names.get(sender, ""),
        message_id=str(require(msg, "id", "message")),
        timestamp=from_epoch_seconds(require(msg, "timestamp", "message")),
        text=text,
        attachments=tuple(attachments),
        reply_to=str((msg.get("context") or {}).get("id", "") or ""),
        referral=_referral(referral) if isinstance(referral, dict) else None,
        message_type=msg_type,
    )


def _status(account_id: str, st: dict) -> StatusUpdate:
    errors = as_list(st.get("errors"), "errors")
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    details = (first.get("error_data") or {}).get("details", "")
    code = str(first.get("code", "")) if first else ""
    message = _meta.HUMAN_MESSAGES.get(code) or str(
        first.get("message") or first.get("title") or details or ""
    )
    status = str(require(st, "status", "status"))
    if status not in ("sent", "delivered", "read", "failed"):
        raise PayloadError(f"unknown WhatsApp status {status!r}")
    return StatusUpdate(
        account_id=account_id,
        message_id=str(require(st, "id", "status")),
        status=status,
        timestamp=from_epoch_seconds(require(st, "timestamp", "status")),
        error_code=code,
        error_message=message,
        recipient_id=str(st.get("recipient_id", "")),
    )


@shape_checked
def parse(payload: Any) -> ParsedBatch:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise PayloadError("not a whatsapp_business_account payload")
    messages, statuses, templates, ignored = [], [], [], []
    for entry in as_list(require(payload, "entry"), "entry"):
        for change in as_list(require(entry, "changes", "entry"), "changes"):
            if not isinstance(change, dict):
                raise PayloadError("change is not an object")
            if change.get("field") == TEMPLATE_STATUS_FIELD:
                waba_id = str(require(entry, "id", "entry"))
                templates.append(template_status(waba_id, require(change, "value", "change")))
                continue
            if change.get("field") != "messages":
                ignored.append(f"field {change.get('field')!r}")
                continue
            value = require(change, "value", "change")
            account_id = str(require(require(value, "metadata", "value"), "phone_number_id"))
            names = {
                str(c.get("wa_id", "")): str((c.get("profile") or {}).get("name", ""))
                for c in as_list(value.get("contacts"), "contacts")
                if isinstance(c, dict)
            }
            for msg in as_list(value.get("messages"), "messages"):
                messages.append(_message(account_id, names, msg))
            for st in as_list(value.get("statuses"), "statuses"):
                statuses.append(_status(account_id, st))
    return ParsedBatch(
        messages=tuple(messages),
        statuses=tuple(statuses),
        templates=tuple(templates),
        ignored=tuple(ignored),
    )


def send_text(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    version: str = GRAPH_VERSION,
    preview_url: bool = False,
    **opts: Any,
) -> SendResult:
    """``account_id`` is the phone_number_id; ``recipient`` the customer's wa_id."""
    check_text(text, MAX_TEXT_LENGTH)
    data = _meta.graph_post(
        client,
        _meta.graph_url(base_url, version, f"{account_id}/messages"),
        credentials,
        LABEL,
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            "type": "text",
            "text": {"body": text, "preview_url": preview_url},
        },
    )
    msgs = data.get("messages") or []
    if not msgs or not msgs[0].get("id"):
        raise ProviderError(
            "WhatsApp did not return a message id.", code="bad_response", permanent=False
        )
    return SendResult(provider_message_id=str(msgs[0]["id"]))


def fetch_media(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    media_id: str,
    version: str = GRAPH_VERSION,
    **opts: Any,
) -> MediaContent:
    info = _meta.graph_get(client, _meta.graph_url(base_url, version, media_id), credentials, LABEL)
    url = info.get("url")
    if not url:
        raise ProviderError("WhatsApp returned no media URL.", code="no_url", permanent=True)
    return download(client, url, headers=_meta.auth(credentials))


def validate_credentials(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    version: str = GRAPH_VERSION,
) -> dict:
    """Check the token can read the phone number; returns its display data."""
    data = _meta.graph_get(
        client,
        _meta.graph_url(base_url, version, account_id),
        credentials,
        LABEL,
        params={"fields": "id,display_phone_number,verified_name"},
    )
    if str(data.get("id", "")) != str(account_id):
        raise ProviderError(
            "The token does not give access to this phone number id.",
            code="mismatch",
            permanent=True,
        )
    return data


def connect_form(*args: Any, **kwargs: Any) -> _meta.ConnectForm:
    return _meta.ConnectForm(*args, **kwargs)


def connect_with_form(client: httpx.Client, *, base_url: str, data: dict):
    return _meta.connect_with_form(
        client, base_url=base_url, data=data, validate=validate_credentials, label=LABEL
    )


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
        return _("On WhatsApp a free-form reply needs a customer message first (templates only).")
    if now - last_customer_message_at > REPLY_WINDOW:
        return _(
            "WhatsApp only allows free-form replies within 24 hours of the customer's last "
            "message; the reply window is closed."
        )
    return None


def fake():
    from inbox.simulator.fakes import whatsapp as fake_whatsapp

    return fake_whatsapp
