"""End to end through the channels' real webhook path, with a real Celery worker and Redis:
TikTok `im_referral_msg` (an ad) then `im_receive_msg` with a payment → exactly one
Purchase-mapped event at the TikTok Events API fake, carrying the ad's tracking data."""

import json
import time

import pytest
from django.conf import settings

from inbox.models import Channel, Conversation
from inbox.providers import tiktok
from inbox.simulator.fake_tiktok_ads import FakeTikTokAds
from signals_app.connection import token_connect
from signals_app.models import SignalReport
from tests.integration.waiting import wait_for
from tests.providers.helpers import load

BUSINESS_ID = "-000bizParleyDemo0001"


def _post(client, payload):
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = tiktok.sign(raw, settings.TIKTOK_CLIENT_SECRET)
    response = client.post(
        "/webhooks/tiktok/",
        data=raw,
        content_type="application/json",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    )
    assert response.status_code == 200, response.content


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_tiktok_ad_conversation_with_a_payment_reaches_tiktok_as_one_purchase(
    celery_worker_process, tenant_a, client
):
    Channel.objects.create(
        tenant=tenant_a,
        provider="tiktok",
        name="TikTok",
        account_id=BUSINESS_ID,
        credentials={"access_token": "act.integration"},
        settings={"simulator": True},
    )
    token_connect(
        tenant=tenant_a,
        actor=None,
        event_set_id="7300000000000000888",
        access_token="evt.webhook-integration",
        simulated=True,
    )
    now_ms = int(time.time() * 1000)
    referral = load("tiktok", "im_referral_msg_ad")
    content = json.loads(referral["content"])
    content["timestamp"] = now_ms - 2000
    referral["content"] = json.dumps(content, ensure_ascii=False)
    referral["create_time"] = now_ms // 1000
    _post(client, referral)
    wait_for(lambda: Conversation.objects.filter(tenant=tenant_a, source="tiktok_ad").exists())
    texts = [
        "Xin chào! Áo này còn size M không?",
        "Đã chuyển khoản rồi nhé",
        "ck rồi ạ, đã thanh toán",
    ]
    for n, text in enumerate(texts):
        message = load("tiktok", "im_receive_msg_text")
        content = json.loads(message["content"])
        content.update(
            message_id=f"73051183928572{n:05d}",
            timestamp=now_ms + n * 1000,
            text={"body": text},
            unique_identifier=f"u-int-{n}",
        )
        message["content"] = json.dumps(content, ensure_ascii=False)
        message["create_time"] = now_ms // 1000
        _post(client, message)

    def purchases():
        return [e for e in FakeTikTokAds.events_received() if e["event"] == "Purchase"]

    found = wait_for(purchases)
    conversation = Conversation.objects.get(tenant=tenant_a)
    wait_for(lambda: not SignalReport.objects.filter(tenant=tenant_a, status="pending").exists())
    time.sleep(1)  # a duplicate would arrive now
    found = purchases()
    assert len(found) == 1, FakeTikTokAds.events_received()
    event = found[0]
    assert event["_token"] == "evt.webhook-integration"
    assert event["_event_source_id"] == "7300000000000000888"
    assert event["event_id"] == f"parley-{conversation.pk}-payment"
    assert event["properties"]["ad_id"] == "1785123456789012"
    assert event["properties"]["advertiser_id"] == "7012345678901234567"
    assert event["properties"]["material_id"] == "7300000000000000001"
    assert event["ad"] == {"ad_id": "1785123456789012"}
    body = "\n".join(r.body for r in FakeTikTokAds.requests("/event/track/"))
    for text in texts:
        assert text not in body
    assert set(SignalReport.objects.filter(tenant=tenant_a).values_list("signal", "status")) == {
        ("conversation_started", "sent"),
        ("payment", "sent"),
    }
