"""Build inbound webhooks exactly as the providers send them, signed with the app secrets,
and feed them through the real ingest path (signature check included)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time

from django.db import transaction

from inbox.ingest.intake import IngestResult, webhook_ingest, webhook_secrets
from inbox.providers import registry


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


def customer_id_for(provider: str, name: str) -> str:
    """A stable fake id for a customer name (same name → same person)."""
    if provider == "tiktok":
        return "-000sim" + hashlib.sha256(name.encode()).hexdigest()[:16]
    if provider == "whatsapp":
        return "66" + _digits(name, 9)
    return "7" + _digits(name, 15)


def _tiktok_event(event: str, business_id: str, content: dict) -> dict:
    return {
        "client_key": "parley-simulator",
        "event": event,
        "create_time": int(time.time()),
        "user_openid": business_id,
        "content": json.dumps(content, ensure_ascii=False, separators=(",", ":")),
    }


def build_inbound(
    *, provider: str, account_id: str, name: str, text: str, ad_id: str = "", now_ms=None
) -> list[dict]:
    """The payload(s) a customer message produces; with ``ad_id`` the ad referral too."""
    now_ms = now_ms or int(time.time() * 1000)
    customer = customer_id_for(provider, name)
    if provider == "tiktok":
        base = {
            "conversation_id": f"0:1:{customer}:{account_id}",
            "timestamp": now_ms,
            "from": name,
            "from_user": {"id": customer, "role": "personal_account"},
            "to": "business",
            "to_user": {"id": account_id, "role": "business_account"},
        }
        payloads = []
        if ad_id:
            referral = {
                "source": "ad",
                "ad": {
                    "advertiser_id": "7000000000000000001",
                    "ad_id": ad_id,
                    "timestamp": now_ms - 1000,
                    "ad_name": f"Ad {ad_id}",
                    "embed_url": "",
                    "message_material_id": "",
                },
            }
            payloads.append(
                _tiktok_event(
                    "im_referral_msg",
                    account_id,
                    {**base, "timestamp": now_ms - 1, "referral": referral},
                )
            )
        content = {
            **base,
            "message_id": str(now_ms) + _digits(secrets.token_hex(8), 6),
            "type": "text",
            "text": {"body": text},
        }
        payloads.append(_tiktok_event("im_receive_msg", account_id, content))
        return payloads
    if provider == "whatsapp":
        msg = {
            "from": customer,
            "id": "wamid.SIM" + secrets.token_hex(16).upper(),
            "timestamp": str(now_ms // 1000),
            "type": "text",
            "text": {"body": text},
        }
        if ad_id:
            msg["referral"] = {
                "source_url": "https://fb.me/simulated",
                "source_id": ad_id,
                "source_type": "ad",
                "headline": f"Ad {ad_id}",
                "body": "",
                "ctwa_clid": "SIM" + secrets.token_hex(20),
            }
        return [
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "sim-waba",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550100000",
                                        "phone_number_id": account_id,
                                    },
                                    "contacts": [{"profile": {"name": name}, "wa_id": customer}],
                                    "messages": [msg],
                                },
                            }
                        ],
                    }
                ],
            }
        ]
    messaging = []
    if ad_id:
        messaging.append(
            {
                "sender": {"id": customer},
                "recipient": {"id": account_id},
                "timestamp": now_ms - 1,
                "referral": {
                    "ref": "",
                    "ad_id": ad_id,
                    "source": "ADS",
                    "type": "OPEN_THREAD",
                    "ads_context_data": {"ad_title": f"Ad {ad_id}"},
                },
            }
        )
    messaging.append(
        {
            "sender": {"id": customer},
            "recipient": {"id": account_id},
            "timestamp": now_ms,
            "message": {"mid": "m_SIM" + secrets.token_urlsafe(18), "text": text},
        }
    )
    return [
        {"object": "page", "entry": [{"id": account_id, "time": now_ms, "messaging": messaging}]}
    ]


def post_signed(*, provider: str, payload: dict) -> IngestResult:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Parley-Simulator"}
    headers.update(registry.get(provider).sign(raw, webhook_secrets(provider)[0]))
    # In a transaction: the event is enqueued on commit, synchronously (a management command
    # may exit right after; the request hot path's dispatcher thread would not get to run).
    with transaction.atomic():
        return webhook_ingest(provider=provider, headers=headers, raw_body=raw)


def simulate_inbound(*, channel, name: str, text: str, ad_id: str = "") -> list[IngestResult]:
    """Send correctly signed webhooks as customer ``name`` of ``channel``."""
    from .store import DatabaseStore

    if channel.provider == "messenger":  # Messenger webhooks carry no name: the profile API does
        DatabaseStore().set_profile(customer_id_for("messenger", name), name)
    return [
        post_signed(provider=channel.provider, payload=p)
        for p in build_inbound(
            provider=channel.provider,
            account_id=channel.account_id,
            name=name,
            text=text,
            ad_id=ad_id,
        )
    ]


def build_statuses(
    *, provider: str, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    """What the provider would send after delivering our message: delivered, then read."""
    now_ms = int(time.time() * 1000)
    if provider == "whatsapp":
        return [
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "sim-waba",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550100000",
                                        "phone_number_id": account_id,
                                    },
                                    "statuses": [
                                        {
                                            "id": message_id,
                                            "status": status,
                                            "timestamp": str(now_ms // 1000 + i),
                                            "recipient_id": customer_id,
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
            for i, status in enumerate(("delivered", "read"))
        ]
    if provider == "messenger":
        base = {"sender": {"id": customer_id}, "recipient": {"id": account_id}}
        return [
            {
                "object": "page",
                "entry": [
                    {
                        "id": account_id,
                        "time": now_ms,
                        "messaging": [
                            {
                                **base,
                                "timestamp": now_ms,
                                "delivery": {"mids": [message_id], "watermark": now_ms},
                            },
                            {**base, "timestamp": now_ms + 1, "read": {"watermark": now_ms + 1}},
                        ],
                    }
                ],
            }
        ]
    content = {
        "conversation_id": conversation_id,
        "timestamp": now_ms,
        "from_user": {"id": customer_id, "role": "personal_account"},
        "to_user": {"id": account_id, "role": "business_account"},
        "read": {"last_read_timestamp": now_ms},
    }
    return [_tiktok_event("im_mark_read_msg", account_id, content)]


def simulate_statuses(*, message) -> list[IngestResult]:
    """For a message sent to a simulated channel: the customer's phone receives and reads it."""
    from inbox.models import ContactIdentity

    channel = message.channel
    identity = (
        ContactIdentity.objects.for_tenant(message.tenant_id)
        .filter(channel=channel, contact=message.conversation.contact_id)
        .first()
    )
    if identity is None or not message.provider_message_id:
        return []
    return [
        post_signed(provider=channel.provider, payload=p)
        for p in build_statuses(
            provider=channel.provider,
            account_id=channel.account_id,
            customer_id=identity.external_id,
            conversation_id=message.conversation.provider_conversation_id,
            message_id=message.provider_message_id,
        )
    ]
