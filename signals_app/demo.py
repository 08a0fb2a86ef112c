"""Demo data: the demo tenant connected to the built-in TikTok fake, with ad-attributed
conversations whose signals were reported — so the dashboard shows something real on first
run. Safe to run twice (skips what exists)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inbox.models import Channel, Contact, ContactIdentity, Conversation, Message

from . import sending
from .connection import connection_for, token_connect
from .models import SignalKeyword, SignalReport
from .services import signals_detect_for_message

DEMO_EVENT_SET = "7300000000000000001"
DEMO_TOKEN = "evt.parley-demo-events-manager-token"

CAMPAIGNS = [
    ("tiktok_ad", "Summer sale — Ho Chi Minh", "1780000000000001", "7200000000000001"),
    ("tiktok_ad", "Summer sale — Ho Chi Minh", "1780000000000002", "7200000000000001"),
    ("tiktok_ad", "Bangkok launch", "1780000000000003", "7200000000000001"),
    ("tiktok_tracking", "", "", ""),
    ("meta_ad", "Meta — retargeting", "23850000000000001", ""),
    ("organic", "", "", ""),
]
SCRIPTS = [
    ["Hi, how much is the blue dress?", "I want to order 2", "Paid, here is the bank transfer"],
    ["Cho mình hỏi giá bao nhiêu ạ", "Chốt đơn nhé", "Đã chuyển khoản rồi"],
    ["สนใจค่ะ ราคาเท่าไหร่", "สั่งซื้อค่ะ", "โอนแล้วค่ะ"],
    ["Berapa harga?", "Mau order", "Sudah transfer ya"],
    ["Quiero pedir una cita", "Me interesa, ¿cuánto cuesta?"],
    ["Hello!", "Can I book an appointment for Friday?"],
]


def _channel(tenant) -> Channel:
    channel = Channel.objects.for_tenant(tenant).order_by("id").first()
    if channel is None:
        channel = Channel.objects.create(
            tenant=tenant,
            provider="whatsapp",
            name="Demo WhatsApp (signals)",
            account_id=f"demo-signals-{tenant.pk}",
            settings={"simulator": True},
        )
    return channel


def seed_signals(tenant) -> None:
    connection = connection_for(tenant)
    if connection is None:
        token_connect(
            tenant=tenant,
            actor=None,
            event_set_id=DEMO_EVENT_SET,
            access_token=DEMO_TOKEN,
            simulated=True,
        )
    elif not SignalKeyword.objects.for_tenant(tenant).exists():
        from .keyword_lists import keywords_install_shipped

        keywords_install_shipped(tenant=tenant)
    if Conversation.objects.for_tenant(tenant).filter(attribution__demo_signals=True).exists():
        return
    rng = random.Random(6)
    channel = _channel(tenant)
    now = timezone.now()
    for n in range(24):
        source, campaign, ad_id, advertiser = CAMPAIGNS[n % len(CAMPAIGNS)]
        started = now - timedelta(days=rng.randint(0, 13), hours=rng.randint(0, 20))
        with transaction.atomic():
            contact = Contact.objects.create(tenant=tenant, name=f"Demo customer {n + 1}")
            ContactIdentity.objects.create(
                tenant=tenant,
                contact=contact,
                channel=channel,
                external_id=f"demo-signals-{tenant.pk}-{n}",
            )
            attribution = {"demo_signals": True}
            if source in ("tiktok_ad", "meta_ad"):
                attribution.update(
                    {
                        "source": "ad",
                        "ad_id": ad_id,
                        "advertiser_id": advertiser,
                        "ad_name": campaign,
                        "provider": "tiktok" if source == "tiktok_ad" else "meta",
                    }
                )
            conversation = Conversation.objects.create(
                tenant=tenant,
                channel=channel,
                contact=contact,
                source="organic" if source == "tiktok_tracking" else source,
                ad_id=ad_id,
                campaign_name=campaign,
                attribution=attribution,
                created_at=started,
                last_message_at=started,
            )
            script = SCRIPTS[n % len(SCRIPTS)][: rng.randint(1, 3)]
            if source == "tiktok_tracking":
                script = [f"Hi! I saw your ad ttid: TT{tenant.pk:04d}X{n:06d}", *script]
            at = started
            for i, text in enumerate(script):
                at = at + timedelta(minutes=7 * (i + 1))
                message = Message.objects.create(
                    tenant=tenant,
                    conversation=conversation,
                    channel=channel,
                    direction="in",
                    author_kind="customer",
                    text=text,
                    provider_message_id=f"demo-signals-{tenant.pk}-{n}-{i}",
                    created_at=at,
                )
                signals_detect_for_message(message=message)
            conversation.last_message_at = at
            conversation.last_customer_message_at = at
            conversation.last_message_preview = script[-1][:200]
            conversation.save(
                update_fields=[
                    "last_message_at",
                    "last_customer_message_at",
                    "last_message_preview",
                ]
            )
            SignalReport.objects.for_tenant(tenant).filter(conversation=conversation).update(
                created_at=at
            )
    _drain(tenant)


def _drain(tenant) -> None:
    for _round in range(20):
        claim = sending.signal_reports_claim(tenant_id=tenant.pk)
        if claim is None:
            return
        sending.signal_reports_send(claim=claim)
