"""Stored TikTok webhook events (as intake stores them) for the batch pipeline's tests."""

from __future__ import annotations

import json
import secrets
import time

from inbox.ingest.intake import route_account
from inbox.models import Channel, WebhookEvent
from inbox.providers import registry


def now_ms() -> int:
    """Messages are sent "now" (automation ignores messages hours old); tests order them by
    explicit offsets from this, never by the clock's progress."""
    return int(time.time() * 1000)


def tiktok_body(*, business: str, customer: str, text: str, at_ms: int) -> bytes:
    content = {
        "conversation_id": f"0:1:{customer}",
        "message_id": secrets.token_hex(10),
        "timestamp": at_ms,
        "type": "text",
        "text": {"body": text},
        "from": f"name {customer}",
        "from_user": {"id": customer, "role": "personal_account"},
        "to_user": {"id": business, "role": "business_account"},
    }
    return json.dumps(
        {
            "client_key": "pipeline-test",
            "event": "im_receive_msg",
            "create_time": at_ms // 1000,
            "user_openid": business,
            "content": json.dumps(content),
        }
    ).encode()


def messenger_body(*, page: str, customer: str, text: str, at_ms: int) -> bytes:
    """A Messenger text message: it carries no name (the profile API gives it)."""
    messaging = {
        "sender": {"id": customer},
        "recipient": {"id": page},
        "timestamp": at_ms,
        "message": {"mid": f"m_{secrets.token_hex(10)}", "text": text},
    }
    return json.dumps(
        {"object": "page", "entry": [{"id": page, "time": at_ms, "messaging": [messaging]}]}
    ).encode()


def store(bodies: list[bytes], provider: str = "tiktok") -> list[int]:
    """The events stored pending, in this order (ids ascending), as intake stores them."""
    module = registry.get(provider)
    rows = [
        WebhookEvent(
            provider=provider,
            body=body,
            dedup_key=f"test:{secrets.token_hex(8)}",
            account_id=route_account(module, json.loads(body)),
        )
        for body in bodies
    ]
    return [e.pk for e in WebhookEvent.objects.bulk_create(rows)]


def tiktok_channel(tenant, account: str) -> Channel:
    """A TikTok channel of the tenant on the simulator, receiving for business ``account``."""
    return Channel.objects.create(
        tenant=tenant,
        provider="tiktok",
        name=account,
        account_id=account,
        credentials={"access_token": f"act.{account}"},
        settings={"simulator": True},
    )


def price_rule(tenant) -> None:
    """The tenant's keyword auto-reply: "price" → "Prices!", no cooldown."""
    from inbox.automation import services

    services.rule_save(
        tenant=tenant,
        actor=None,
        data={
            "name": "Price",
            "trigger": "keywords",
            "reply_text": "Prices!",
            "cooldown_minutes": 0,
        },
        keywords=["price"],
    )
