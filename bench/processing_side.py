"""The processing bench's Django-side steps, run as a subprocess inside the checkout being
measured (``cwd`` = that checkout, so its own models and code), with its own database:

    python <this file> seed            migrate; one tenant, TikTok channel, keyword rule, signals
    python <this file> make N          N pending events (printed: JSON list of ids)
    python <this file> left IDS_FILE   how many of them are not done yet (JSON)
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

BUSINESS = "-000benchProcessing01"
CUSTOMERS = 200
TEXTS = [
    "Xin chào shop, pricecheck áo size M còn không?",  # the auto-reply keyword
    "Đơn hàng của mình giao chưa ạ?",
    "Shop ơi cho mình xem thêm mẫu khác",
    "Mình muốn mua 2 cái, đã chuyển khoản rồi nhé",  # signal keywords
]


def seed() -> dict:
    from django.core.management import call_command

    from bench.reliability.django_side import _seed_automation, _seed_signals
    from inbox.models import Channel, Conversation, WebhookEvent
    from tenants.models import Tenant

    call_command("migrate", "--noinput", verbosity=0)
    tenant, _ = Tenant.objects.get_or_create(slug="bench-processing", defaults={"name": "Bench"})
    channel, _ = Channel.objects.get_or_create(
        provider="tiktok",
        account_id=BUSINESS,
        defaults={
            "tenant": tenant,
            "name": "bench",
            "credentials": {"access_token": f"act.{BUSINESS}"},
            "settings": {"simulator": True},
        },
    )
    Conversation.objects.filter(channel=channel).delete()
    WebhookEvent.objects.all().delete()
    return {
        "automation": _seed_automation(tenant),
        "signals": _seed_signals(tenant),
        "channel": channel.pk,
    }


def make(n: int) -> list[int]:
    from inbox.models import WebhookEvent

    fields = {f.name for f in WebhookEvent._meta.get_fields()}
    now_ms = int(time.time() * 1000)
    rows = []
    for i in range(n):
        customer = f"-000benchcust{i % CUSTOMERS:04d}"
        content = {
            "conversation_id": f"0:1:{customer}",
            "message_id": secrets.token_hex(10),
            "timestamp": now_ms + i,
            "type": "text",
            "text": {"body": f"{TEXTS[i % len(TEXTS)]} #{i}"},
            "from": f"customer{i % CUSTOMERS}",
            "from_user": {"id": customer, "role": "personal_account"},
            "to_user": {"id": BUSINESS, "role": "business_account"},
        }
        body = json.dumps(
            {
                "client_key": "bench",
                "event": "im_receive_msg",
                "create_time": now_ms // 1000,
                "user_openid": BUSINESS,
                "content": json.dumps(content),
            }
        ).encode()
        extra = {"account_id": BUSINESS} if "account_id" in fields else {}
        rows.append(
            WebhookEvent(
                provider="tiktok", body=body, dedup_key=f"bench:{secrets.token_hex(10)}", **extra
            )
        )
    return [e.pk for e in WebhookEvent.objects.bulk_create(rows)]


def left(ids: list[int]) -> dict:
    """Events not processed yet, and stored customer messages whose automation has not run."""
    from inbox.automation.models import MessageAutomation
    from inbox.models import Message, WebhookEvent

    inbound = Message.objects.filter(direction="in", author_kind="customer", kind="message")
    return {
        "pending": WebhookEvent.objects.filter(pk__in=ids, status="pending").count(),
        "failed": WebhookEvent.objects.filter(pk__in=ids, status="failed").count(),
        "messages": inbound.count(),
        "automation_left": inbound.exclude(
            pk__in=MessageAutomation.objects.values("message_id")
        ).count(),
        "auto_replies": Message.objects.filter(author_kind="bot", kind="message").count(),
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "seed":
        print(json.dumps(seed()))
    elif command == "make":
        print(json.dumps(make(int(sys.argv[2]))))
    elif command == "left":
        with open(sys.argv[2]) as f:
            print(json.dumps(left(json.load(f))))
    else:
        sys.exit(f"unknown command {command}")
