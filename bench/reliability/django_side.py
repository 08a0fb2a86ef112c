"""The harness's Django-side helpers, run as subprocesses inside the app directory with the
harness's environment (``python bench/reliability/django_side.py seed|reply ...``).

- ``seed``: a tenant with one channel per provider (real HTTP to the simulator over loopback)
  and, when the automation app has rules, one keyword auto-reply rule. Prints JSON.
- ``reply SECONDS PER_SECOND``: an agent replying to customers while the load runs: each reply
  has a unique text (``rel-reply <hex>``) so the fake provider's request log proves it was
  sent exactly once. Survives database and broker outages (that is the point). Prints JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import close_old_connections  # noqa: E402
from django.utils import timezone  # noqa: E402

KEYWORD = "pricecheck"
AUTO_REPLY = "Thanks! Our prices are on the menu (auto-reply)."
ACCOUNTS = {
    "tiktok": "-000relBusiness00001",
    "whatsapp": "190000000000001",
    "messenger": "290000000000001",
}


def seed() -> dict:
    from inbox.models import Channel
    from tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(
        slug="reliability-load", defaults={"name": "Reliability load"}
    )
    channels = {}
    for provider, account in ACCOUNTS.items():
        token = {
            "tiktok": f"act.{account}.rel",
            "whatsapp": "EAA.rel.whatsapp",
            "messenger": f"EAA.{account}.rel",
        }[provider]
        extra = {}
        if hasattr(Channel, "token_expires_at"):
            extra["token_expires_at"] = timezone.now() + timedelta(days=30)
        channel, _ = Channel.objects.get_or_create(
            account_id=account,
            defaults={
                "tenant": tenant,
                "provider": provider,
                "name": f"{provider} load",
                "credentials": {"access_token": token, "refresh_token": "rft.rel"},
                "settings": {},
                **extra,
            },
        )
        channels[provider] = channel.pk
    automation = _seed_automation(tenant)
    signals = _seed_signals(tenant)
    return {"tenant": tenant.pk, "channels": channels, "automation": automation, "signals": signals}


def _seed_signals(tenant) -> str:
    """TikTok Ads connected to the signals app's built-in Events API fake over HTTP (served by
    the same uvicorn at TIKTOK_ADS_API_URL, its requests and the events it counted recorded in
    the database), with the shipped signal keywords."""
    try:
        from signals_app.connection import connection_for, token_connect
        from signals_app.models import SignalKeyword, TikTokAdsConnection
    except ImportError as exc:
        return f"unavailable ({exc})"
    try:
        if connection_for(tenant) is None:
            token_connect(
                tenant=tenant,
                actor=None,
                event_set_id="7300000000000000001",
                access_token="evt.reliability",
                simulated=True,  # the connect test event goes in-process: uvicorn is not up yet
            )
        # Every report then goes over HTTP, as to TikTok (a crash can fall between TikTok
        # receiving a batch and Parley recording the answer).
        TikTokAdsConnection.objects.filter(tenant=tenant).update(simulated=False)
        if not SignalKeyword.objects.for_tenant(tenant).exists():
            from signals_app.keyword_lists import keywords_install_shipped

            keywords_install_shipped(tenant=tenant)
    except Exception as exc:  # noqa: BLE001 - report, do not fail the harness
        return f"not connected ({type(exc).__name__}: {exc})"
    return f"connected, {SignalKeyword.objects.for_tenant(tenant).count()} keywords"


def _seed_automation(tenant) -> str:
    try:
        from inbox.automation.models import AutoReplyRule
        from inbox.automation.services import rule_save
    except ImportError as exc:
        return f"unavailable ({exc})"
    # By name: a new business also gets the shipped (disabled) welcome and away rules.
    if AutoReplyRule.objects.filter(tenant=tenant, name="Price keyword").exists():
        return "present"
    trigger_field = AutoReplyRule._meta.get_field("trigger")
    trigger = next((v for v, _ in trigger_field.choices if "keyword" in v), None)
    if trigger is None:
        return "no keyword trigger"
    data = {
        "name": "Price keyword",
        "enabled": True,
        "trigger": trigger,
        "reply_text": AUTO_REPLY,
        "cooldown_minutes": 0,
    }
    try:
        rule_save(tenant=tenant, actor=None, data=data, keywords=[KEYWORD])
    except Exception as exc:  # noqa: BLE001 - report, do not fail the harness
        return f"rule not created ({type(exc).__name__}: {exc})"
    return "keyword rule created"


def seed_quiet(count: int) -> dict:
    """The fairness scenario's quiet tenants: each a TikTok shop with the keyword rule."""
    from inbox.models import Channel
    from tenants.models import Tenant

    accounts = []
    for i in range(count):
        tenant, _ = Tenant.objects.get_or_create(
            slug=f"reliability-quiet-{i}", defaults={"name": f"Quiet shop {i}"}
        )
        account = f"-000relQuietShop{i:04d}"
        Channel.objects.get_or_create(
            account_id=account,
            defaults={
                "tenant": tenant,
                "provider": "tiktok",
                "name": f"quiet {i}",
                "credentials": {"access_token": f"act.{account}.rel", "refresh_token": "rft.rel"},
                "settings": {},
                "token_expires_at": timezone.now() + timedelta(days=30),
            },
        )
        _seed_automation(tenant)
        accounts.append(account)
    return {"accounts": accounts}


def reply(seconds: float, per_second: float) -> dict:
    from inbox.models import Conversation, Message

    try:
        from inbox.services.sending import message_send
    except ImportError:
        return {"replies": 0, "skipped": "no message_send"}
    deadline = time.monotonic() + seconds
    sent, errors, rejected = 0, 0, 0
    interval = 1.0 / per_second
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            close_old_connections()
            # A customer waiting for an answer among the newest messages, as an agent working
            # the inbox picks one. (The oldest unanswered message of the last 30 minutes was an
            # anti-join over every message since then: its cost grew with the run, to 0.55 of
            # the 2 cores in PostgreSQL after 8 minutes at 200 webhooks/s.)
            newest = Message.objects.filter(direction="in", kind="message").order_by("-id")
            waiting = [
                conversation_id
                for conversation_id, text in newest.values_list("conversation_id", "text")[:100]
                if KEYWORD not in (text or "").lower()
            ]
            candidate = (
                Conversation.objects.filter(
                    pk__in=waiting,
                    business_messages_since_customer=0,
                    last_customer_message_at__gte=timezone.now() - timedelta(minutes=2),
                )
                .order_by("-last_customer_message_at")
                .first()
            )
            if candidate is not None:
                try:
                    message_send(
                        conversation=candidate,
                        text=f"rel-reply {uuid.uuid4().hex}",
                        author_kind="agent",
                    )
                    sent += 1
                except Exception as exc:  # noqa: BLE001
                    if type(exc).__name__ in ("ReplyWindowClosed", "MessageRejected"):
                        rejected += 1
                    else:
                        raise
        except Exception:  # noqa: BLE001 - the database or broker is down: keep going
            errors += 1
            time.sleep(1)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return {"replies": sent, "errors_while_down": errors, "rejected": rejected}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "seed":
        print(json.dumps(seed()))
    elif command == "seed_quiet":
        print(json.dumps(seed_quiet(int(sys.argv[2]))))
    elif command == "reply":
        print(json.dumps(reply(float(sys.argv[2]), float(sys.argv[3]))), flush=True)
    else:
        sys.exit(f"unknown command {command}")
