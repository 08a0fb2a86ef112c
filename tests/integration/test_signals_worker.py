"""A TikTok-ad conversation with a payment message → one Purchase event at the TikTok fake,
sent by a real Celery worker through Redis.

The message is stored and analysed as the channels' receiving transaction does
(`signals_detect_for_message` inside it); the report is enqueued on commit and sent by the
worker, which reaches the built-in TikTok fake (its requests are recorded in the database)."""

import time

import pytest
from django.db import transaction

from inbox.simulator.fake_tiktok_ads import FakeTikTokAds
from signals_app.connection import token_connect
from signals_app.models import SignalReport
from signals_app.services import signals_detect_for_message
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory, MessageFactory


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_payment_in_a_tiktok_ad_conversation_reaches_tiktok_as_one_purchase(
    celery_worker_process, tenant_a
):
    token_connect(
        tenant=tenant_a,
        actor=None,
        event_set_id="7300000000000000777",
        access_token="evt.integration-token",
        simulated=True,
    )
    channel = ChannelFactory(tenant=tenant_a, provider="tiktok")
    conversation = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        contact=ContactFactory(tenant=tenant_a, name="Lê Minh Châu"),
        source="tiktok_ad",
        ad_id="1780000000000042",
        campaign_name="Summer sale",
        attribution={
            "source": "ad",
            "ad_id": "1780000000000042",
            "advertiser_id": "7200000000000001",
            "material_id": "mat-7",
            "provider": "tiktok",
        },
    )
    for text in ("Chào shop, còn hàng không?", "Đã chuyển khoản rồi nhé", "đã ck rồi ạ"):
        with transaction.atomic():
            message = MessageFactory(conversation=conversation, text=text)
            signals_detect_for_message(message=message)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not SignalReport.objects.filter(tenant=tenant_a, status="pending").exists():
            break
        time.sleep(0.2)
    purchases = [e for e in FakeTikTokAds.events_received() if e["event"] == "Purchase"]
    assert len(purchases) == 1, FakeTikTokAds.events_received()
    purchase = purchases[0]
    assert purchase["_token"] == "evt.integration-token"
    assert purchase["_event_source_id"] == "7300000000000000777"
    assert purchase["event_id"] == f"parley-{conversation.pk}-payment"
    assert purchase["properties"]["ad_id"] == "1780000000000042"
    assert purchase["properties"]["advertiser_id"] == "7200000000000001"
    assert purchase["properties"]["material_id"] == "mat-7"
    assert set(SignalReport.objects.filter(tenant=tenant_a).values_list("signal", "status")) == {
        ("conversation_started", "sent"),
        ("payment", "sent"),
    }
