"""The simulator's Messenger: the Graph API (``graph``) and the webhooks a simulated Messenger
customer produces (without a name, as Messenger's: the fake profile API knows it)."""

from __future__ import annotations

import secrets
import time

from . import graph, graph_comments
from .wire import digits

API_PATH = graph.API_PATH
handle = graph.handle
error = graph.error


def customer_id(name: str) -> str:
    """A stable fake PSID for a customer name (same name → same person)."""
    return "7" + digits(name, 15)


def before_inbound(store, name: str) -> None:
    """Messenger webhooks carry no name: register it with the fake profile API."""
    store.set_profile(customer_id(name), name)


def inbound_payloads(
    *, account_id: str, name: str, text: str, ad_id: str = "", now_ms: int | None = None
) -> list[dict]:
    now_ms = now_ms or int(time.time() * 1000)
    customer = customer_id(name)
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


def status_payloads(
    *, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    """Delivered, then read (one batch)."""
    now_ms = int(time.time() * 1000)
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


def comment_payloads(
    store, *, account_id: str, post_id: str, name: str, text: str, parent_id: str = ""
) -> list[dict]:
    """A simulated customer comments under a page post: the fake keeps the comment (the
    private reply will reach this customer's PSID) and Facebook sends the ``feed`` change."""
    store.set_profile(customer_id(name), name)
    post_id = post_id if "_" in post_id else f"{account_id}_{post_id}"
    graph_comments.put_post(store, page_id=account_id, post_id=post_id)
    comment = graph_comments.put_comment(
        store,
        post_id=post_id,
        author_id=graph_comments.commenter_id(name),
        author_name=name,
        psid=customer_id(name),
        text=text,
        parent_id=parent_id,
    )
    return [graph_comments.feed_payload(account_id, comment, "add")]
