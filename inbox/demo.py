"""Demo data for the inbox, run by ``seed_demo``.

``seed_channels(tenant)`` connects one channel of each provider to the built-in simulator and
fills the inbox with a few realistic conversations in several languages, through the real
webhook path (signed events → stored → processed) and the real send path for the agent replies.

``seed_inbox_volume(tenant)`` adds ~300 conversations and ~3,000 messages in Thai, Vietnamese,
English and Indonesian (labels, assignees, ad attribution, unread markers) to the tenant's
channels, using the same COPY loader as ``generate_load_data``: enough to show filters, counts
and search. Safe to run twice: it does nothing when the tenant already has that many
conversations.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
from datetime import timedelta

from django.core.management.base import OutputWrapper
from django.db import connection, transaction
from django.utils import timezone

from inbox.ingest.processing import webhook_event_process
from inbox.management.commands.generate_load_data import LABELS, Command
from inbox.models import Channel, Conversation, Label
from inbox.services.http import is_simulated
from inbox.services.sending import MessageRejected, message_send
from inbox.services.templates import templates_sync
from inbox.simulator.fakes import line as line_fake
from inbox.simulator.payloads import simulate_inbound
from tenants.models import Membership

DEMO_CONVERSATIONS = [
    # provider, customer, messages, TikTok/Meta ad id, agent reply
    (
        "tiktok",
        "Linh Nguyễn",
        ["Chào shop! Áo khoác trong video còn size M không ạ?", "Mình ở Hà Nội, ship mấy ngày ạ?"],
        "1785000000000001",
        "Dạ còn size M ạ! Giao Hà Nội 1–2 ngày, phí ship 20k.",
    ),
    ("tiktok", "Ploy Srisuk", ["สวัสดีค่ะ กระเป๋าใบนี้มีสีดำไหมคะ"], "", ""),
    (
        "whatsapp",
        "Somchai Jaidee",
        ["สวัสดีครับ สั่งของเมื่อวาน ส่งวันนี้ได้ไหมครับ"],
        "",
        "สวัสดีครับ คุณสมชาย ของจะส่งออกวันนี้ครับ 🙏",
    ),
    (
        "whatsapp",
        "Nguyễn Văn An",
        ["Shop ơi, đơn #1042 của mình tới đâu rồi?"],
        "120212345678900123",
        "",
    ),
    (
        "messenger",
        "Camille Martin",
        ["Bonjour, vous livrez à Lyon ?"],
        "",
        "Bonjour Camille, oui : livraison à Lyon en 48 h.",
    ),
    ("messenger", "Alex Chen", ["Hi! Do you have the denim jacket in blue?"], "", ""),
    (
        "instagram",
        "Mai Trần",
        ["Hi! Is the linen dress from your ad still available in size S?"],
        "120210987654321098",
        "Yes, size S is in stock! Shall I reserve one for you?",
    ),
    ("instagram", "Nattaporn K.", ["สวัสดีค่ะ ชุดนี้มีสีขาวไหมคะ"], "", ""),
    (
        "line",
        "นิด ศรีสุข",
        ["สวัสดีค่ะ ครีมกันแดดขวดนี้ยังมีของไหมคะ", "ส่งเชียงใหม่กี่วันคะ"],
        "",
        "มีค่ะ คุณนิด ส่งเชียงใหม่ 2–3 วันค่ะ 🙏",
    ),
    ("line", "สมศักดิ์ ใจดี", ["รับโอนผ่านพร้อมเพย์ไหมครับ"], "", ""),
    (
        "zalo",
        "Trần Thị Mai",
        ["Chào shop, kem chống nắng này còn hàng không ạ?", "Giao về Đà Nẵng mất mấy ngày ạ?"],
        "",
        "Dạ còn hàng ạ chị Mai, giao Đà Nẵng 2–3 ngày, miễn phí ship ạ.",
    ),
    ("zalo", "Lê Văn Hùng", ["Shop có nhận thanh toán qua MoMo không?"], "", ""),
]


def _channel(
    tenant, provider: str, account_id: str, name: str, credentials: dict, **extra
) -> Channel:
    channel, _created = Channel.objects.update_or_create(
        provider=provider,
        account_id=account_id,
        defaults={
            **extra,
            "tenant": tenant,
            "name": name,
            "credentials": credentials,
            "status": Channel.Status.ACTIVE,
            "last_error": "",
            "settings": {"simulator": True, "simulate_statuses": True},
            "token_expires_at": timezone.now() + timedelta(days=1)
            if provider in ("tiktok", "zalo")
            else None,
        },
    )
    return channel


def seed_channels(tenant) -> dict[str, Channel]:
    suffix = f"{tenant.pk:06d}"
    open_id = f"simbiz{suffix}"
    page_id = f"10485736{suffix}"
    channels = {
        "tiktok": _channel(
            tenant,
            "tiktok",
            open_id,
            "TikTok · @demo.shop",
            {
                "open_id": open_id,
                "access_token": f"act.{open_id}.demo",
                "refresh_token": f"rft.{open_id}.demo",
                "scopes": [
                    "user.info.basic",
                    "message.list.read",
                    "message.list.send",
                    "message.list.manage",
                ],
            },
        ),
        "whatsapp": _channel(
            tenant,
            "whatsapp",
            f"10654035{suffix}",
            "WhatsApp · +66 2 123 4567",
            {"access_token": f"EAA.sim.{suffix}"},
            waba_id=f"10229012{suffix}",
        ),
        "messenger": _channel(
            tenant,
            "messenger",
            page_id,
            "Messenger · Demo Shop",
            {"access_token": f"EAA.{page_id}.demo"},
        ),
    }
    ig_id = f"17841400{suffix}"
    channels["instagram"] = _channel(
        tenant,
        "instagram",
        ig_id,
        "Instagram · @demo.shop",
        {"flavour": "instagram_login", "access_token": f"IGAA.{ig_id}.demo"},
    )
    line_token = f"line-demo-{suffix}"
    channels["line"] = _channel(
        tenant,
        "line",
        line_fake.bot_user_id(line_token),
        "LINE · ร้านเดโม",
        {
            "access_token": line_token,
            "channel_secret": hashlib.sha256(line_token.encode()).hexdigest()[:32],
        },
    )
    zalo_oa = f"43182057{suffix}"
    channels["zalo"] = _channel(
        tenant,
        "zalo",
        zalo_oa,
        "Zalo · Shop Demo",
        {
            "access_token": f"zat.{zalo_oa}.demo",
            "refresh_token": f"zrt.{zalo_oa}.demo",
            "oa_secret_key": hashlib.sha256(zalo_oa.encode()).hexdigest()[:32],
        },
    )
    # The simulated business account starts with a few templates (one paused, one rejected).
    if is_simulated(channels["whatsapp"]):
        templates_sync(channel=channels["whatsapp"])
    for provider, name, texts, ad_id, reply in DEMO_CONVERSATIONS:
        channel = channels[provider]
        for i, text in enumerate(texts):
            for result in simulate_inbound(
                channel=channel, name=name, text=text, ad_id=ad_id if i == 0 else ""
            ):
                if result.event_id:
                    webhook_event_process(event_id=result.event_id)
        if reply:
            conversation = (
                Conversation.objects.for_tenant(tenant)
                .filter(channel=channel, contact__name=name)
                .first()
            )
            if conversation is not None:
                with contextlib.suppress(MessageRejected):
                    message_send(conversation=conversation, text=reply, author_kind="agent")
    return channels


VOLUME_CONVERSATIONS = 300
VOLUME_MESSAGES = 3_000


def seed_inbox_volume(
    tenant, *, conversations: int = VOLUME_CONVERSATIONS, messages: int = VOLUME_MESSAGES
):
    if Conversation.objects.for_tenant(tenant).count() >= conversations:
        return 0
    channels = [
        (pk, provider)
        for pk, provider in Channel.objects.for_tenant(tenant).values_list("pk", "provider")
    ]
    if not channels:
        channels = Command()._channels(tenant)
    agents = list(
        Membership.objects.for_tenant(tenant)
        .exclude(role="viewer")
        .values_list("user_id", flat=True)
    )
    if not agents:
        return 0
    labels = [
        Label.objects.get_or_create(tenant=tenant, name__iexact=name, defaults={"name": name})[0].pk
        for name in LABELS
    ]
    command = Command(stdout=OutputWrapper(io.StringIO()))
    with transaction.atomic(), connection.cursor() as cursor:
        command._load(
            cursor, random.Random(7), tenant, agents, channels, labels, conversations, messages
        )
    return conversations
