"""TikTok's own description of keyword signals, through the real signed webhook: a customer
message that merely mentions a payment reports payment = true (one Purchase event at the
TikTok Events API fake), and the message itself never travels."""

import json
import time
import unicodedata

import pytest

from inbox.simulator.fake_tiktok_ads import FakeTikTokAds
from signals_app.connection import token_connect
from signals_app.models import SignalReport
from tests.providers.helpers import load_recent

pytestmark = pytest.mark.django_db

MENTIONS_PAYMENT = {
    "thai": "สวัสดีค่ะ การชำระเงินทำยังไงคะ",
    "czech": "Dobrý den, jak probíhá platba? Děkuji",
    "vietnamese-nfc": unicodedata.normalize("NFC", "Cho mình hỏi thanh toán thế nào ạ?"),
    "vietnamese-nfd": unicodedata.normalize("NFD", "Cho mình hỏi thanh toán thế nào ạ?"),
    "english": "Hi! Which payment methods do you accept?",
}


@pytest.fixture(autouse=True)
def _fresh_matchers():
    from keywords import clear_matcher_cache

    clear_matcher_cache()
    yield
    clear_matcher_cache()


@pytest.fixture
def connected(tenant_a, tiktok_channel):
    token_connect(
        tenant=tenant_a,
        actor=None,
        event_set_id="7300000000000000555",
        access_token="evt.keyword-signals",
        simulated=True,
    )
    FakeTikTokAds.reset()  # forget the connection's test event


def tiktok_message(text: str) -> bytes:
    """TikTok's `im_receive_msg` from a customer who found the shop without an ad."""
    event = load_recent("tiktok", "im_receive_msg_text", now=time.time())
    content = json.loads(event["content"])
    content["text"]["body"] = text
    event["content"] = json.dumps(content, ensure_ascii=False)
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def track_requests():
    return list(FakeTikTokAds.requests("/event/track/"))


@pytest.mark.parametrize("language", list(MENTIONS_PAYMENT))
def test_a_message_that_mentions_payment_reports_one_payment_without_its_text(
    tenant_a, connected, post_webhook, language
):
    text = MENTIONS_PAYMENT[language]
    assert post_webhook("tiktok", tiktok_message(text)).status_code == 200

    events = FakeTikTokAds.events_received()
    assert [e["event"] for e in events] == ["Purchase"]
    assert SignalReport.objects.for_tenant(tenant_a).get().signal == "payment"
    for request in track_requests():
        wire = request.body + json.dumps(request.headers)
        decoded = json.dumps(json.loads(request.body), ensure_ascii=False)
        for haystack in (wire, decoded, unicodedata.normalize("NFC", decoded)):
            assert text not in haystack
            assert unicodedata.normalize("NFC", text) not in haystack
            assert "thanh toán" not in haystack and "platba" not in haystack


def test_the_same_payment_mentioned_again_is_not_reported_twice(tenant_a, connected, post_webhook):
    post_webhook("tiktok", tiktok_message("How do I pay?"))
    second = json.loads(tiktok_message("Payment done, thank you"))
    content = json.loads(second["content"])
    content["message_id"] = "7305118392857263999"
    second["content"] = json.dumps(content, ensure_ascii=False)
    post_webhook("tiktok", second)
    assert [e["event"] for e in FakeTikTokAds.events_received()] == ["Purchase"]


def test_a_message_that_mentions_nothing_reports_nothing(tenant_a, connected, post_webhook):
    response = post_webhook("tiktok", tiktok_message("Hello! Is the blue one still available?"))
    assert response.status_code == 200
    assert not SignalReport.objects.for_tenant(tenant_a).exists()
    assert track_requests() == []
