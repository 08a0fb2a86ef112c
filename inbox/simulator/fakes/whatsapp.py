"""The simulator's WhatsApp: the Graph API (``graph``) and the webhooks a simulated WhatsApp
customer produces."""

from __future__ import annotations

import secrets
import time

from . import graph
from .wire import digits

API_PATH = graph.API_PATH
handle = graph.handle
error = graph.error


def customer_id(name: str) -> str:
    """A stable fake wa_id for a customer name (same name → same person)."""
    return "66" + digits(name, 9)


def before_inbound(store, name: str) -> None:
    """Nothing to prepare: WhatsApp webhooks carry the customer's profile name."""


def _envelope(account_id: str, value: dict) -> dict:
    return {
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
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def inbound_payloads(
    *, account_id: str, name: str, text: str, ad_id: str = "", now_ms: int | None = None
) -> list[dict]:
    now_ms = now_ms or int(time.time() * 1000)
    customer = customer_id(name)
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
    contacts = [{"profile": {"name": name}, "wa_id": customer}]
    return [_envelope(account_id, {"contacts": contacts, "messages": [msg]})]


def status_payloads(
    *, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    """Delivered, then read."""
    now_ms = int(time.time() * 1000)
    return [
        _envelope(
            account_id,
            {
                "statuses": [
                    {
                        "id": message_id,
                        "status": status,
                        "timestamp": str(now_ms // 1000 + i),
                        "recipient_id": customer_id,
                    }
                ]
            },
        )
        for i, status in enumerate(("delivered", "read"))
    ]


def template_status_payloads(
    *, waba_id: str, template: dict, event: str, reason: str = "NONE"
) -> list[dict]:
    """The ``message_template_status_update`` webhook Meta sends when a template's review
    status changes (APPROVED, REJECTED, PAUSED, DISABLED, …)."""
    return [
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": waba_id,
                    "time": int(time.time()),
                    "changes": [
                        {
                            "field": "message_template_status_update",
                            "value": {
                                "event": event,
                                "message_template_id": int(template["id"]),
                                "message_template_name": template["name"],
                                "message_template_language": template["language"],
                                "reason": reason,
                            },
                        }
                    ],
                }
            ],
        }
    ]
