import pytest
from django.db import transaction

from inbox.simulator.fake_tiktok_ads import FakeTikTokAds
from signals_app import sending
from signals_app.connection import token_connect
from signals_app.services import signals_detect_for_message
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory, MessageFactory

EVENT_SET = "7300000000000000123"


@pytest.fixture(autouse=True)
def _fresh_matchers():
    from keywords import clear_matcher_cache

    clear_matcher_cache()
    yield
    clear_matcher_cache()


@pytest.fixture
def fake(db):
    return FakeTikTokAds


@pytest.fixture
def connect(db):
    def make(tenant, token=None, event_set=EVENT_SET):
        return token_connect(
            tenant=tenant,
            actor=None,
            event_set_id=event_set,
            access_token=token or f"evt.token-of-{tenant.slug}",
            simulated=True,
        )

    return make


def tiktok_ad_conversation(tenant, n=1, **extra):
    channel = ChannelFactory(tenant=tenant, provider="tiktok")
    attribution = {
        "source": "ad",
        "ad_id": f"17800000000{n:05d}",
        "advertiser_id": "7200000000000001",
        "ad_name": "Summer sale",
        "material_id": "mat-42",
        "provider": "tiktok",
    }
    defaults = dict(
        channel=channel,
        contact=ContactFactory(tenant=tenant, name="Trần Thị Bích", phone="+84901234567"),
        source="tiktok_ad",
        ad_id=attribution["ad_id"],
        campaign_name="Summer sale",
        attribution=attribution,
    )
    defaults.update(extra)
    return ConversationFactory(tenant=tenant, **defaults)


def whatsapp_conversation(tenant, **extra):
    channel = ChannelFactory(tenant=tenant, provider="whatsapp")
    defaults = dict(channel=channel, contact=ContactFactory(tenant=tenant))
    defaults.update(extra)
    return ConversationFactory(tenant=tenant, **defaults)


def receive(conversation, text, **extra):
    """What the channels' message_receive does: store the message, then detect, in one
    transaction."""
    with transaction.atomic():
        message = MessageFactory(conversation=conversation, text=text, **extra)
        signals_detect_for_message(message=message)
    conversation.refresh_from_db()
    return message


def drain(tenant, rounds=50):
    for _ in range(rounds):
        claim = sending.signal_reports_claim(tenant_id=tenant.pk)
        if claim is None:
            return
        sending.signal_reports_send(claim=claim)
    raise AssertionError("the outbox did not drain")
