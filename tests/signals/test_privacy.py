"""Content privacy by construction: nothing a customer wrote, nor who they are, reaches TikTok."""

import dataclasses
import json
import random

import pytest
from django.utils import timezone

from inbox.simulator.fake_tiktok_ads import FakeTikTokAds
from signals_app.models import SignalReport
from signals_app.payload import SignalFields, build_events_body
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory

from .conftest import drain, receive, tiktok_ad_conversation

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn An", "Somchai Jaidee", "Siti Nurhaliza", "Jana Nováková", "María López"]
PHONES = ["+84901234567", "+66812345678", "+6281234567890", "+420601234567", "+34612345678"]
LINES = [
    "Hi, is the red bag still available? I am {name}, call me on {phone}",
    "Đã chuyển khoản rồi nhé, tên mình là {name}",
    "โอนแล้วค่ะ เบอร์ {phone}",
    "Sudah transfer ya kak, alamat saya Jl. Melati 12 Jakarta",
    "Zaplaceno, moje adresa je Dlouhá 5, Praha",
    "Quiero pedir dos, mi dirección es Calle Mayor 3, Madrid",
    "I want to order, my address is 221B Baker Street",
    "Can I book an appointment for Friday 3pm?",
    "how much for shipping to {city}?",
    "ttid: TRACK{n:06d}XY hello from the ad",
]
CITIES = ["Hanoi", "Chiang Mai", "Surabaya", "Brno", "Sevilla"]


def test_no_message_text_contact_name_or_phone_reaches_tiktok(tenant_a, connect):
    connect(tenant_a)
    FakeTikTokAds.reset()
    rng = random.Random(42)
    texts, names, phones = [], set(NAMES), set(PHONES)
    whatsapp = ChannelFactory(tenant=tenant_a, provider="whatsapp")
    for n in range(40):
        name, phone = NAMES[n % 5], PHONES[n % 5]
        contact = ContactFactory(tenant=tenant_a, name=name, phone=phone)
        if n % 3 == 0:
            conversation = tiktok_ad_conversation(tenant_a, n=n, contact=contact)
        else:
            conversation = ConversationFactory(tenant=tenant_a, channel=whatsapp, contact=contact)
        lines = rng.sample(LINES, 4)
        if n % 2:
            lines = [LINES[-1], *lines]
        for line in lines:
            text = line.format(name=name, phone=phone, city=CITIES[n % 5], n=n)
            texts.append(text)
            receive(conversation, text)
    drain(tenant_a)
    assert SignalReport.objects.filter(status="sent").count() > 60
    captured = list(FakeTikTokAds.requests())
    assert captured, "the fake received nothing"
    everything = "\n".join(json.dumps(r.headers) + "\n" + r.body for r in captured)
    decoded = "\n".join(
        json.dumps(json.loads(r.body), ensure_ascii=False) for r in captured if r.body
    )
    for haystack in (everything, decoded):
        for text in texts:
            assert text not in haystack
        for name in names:
            assert name not in haystack
            for part in name.split():
                if len(part) > 3:
                    assert part not in haystack, part
        for phone in phones:
            assert phone not in haystack
            assert phone.lstrip("+") not in haystack
        for city in CITIES:
            assert city not in haystack
    # What does go: signal fields only.
    event = json.loads(captured[-1].body)["data"][0]
    assert set(event) <= {"event", "event_time", "event_id", "user", "properties", "ad"}
    assert set(event["properties"]) <= {
        "signal",
        "tracking_id",
        "ad_id",
        "advertiser_id",
        "material_id",
    }


def test_the_payload_builder_only_accepts_signal_fields(tenant_a):
    from tests.factories import MessageFactory

    message = MessageFactory(conversation=ConversationFactory(tenant=tenant_a), text="secret")
    with pytest.raises(TypeError):
        build_events_body(event_source="crm", event_source_id="1", signals=[message])
    names = {f.name for f in dataclasses.fields(SignalFields)}
    assert names == {
        "signal",
        "event_name",
        "event_id",
        "occurred_at",
        "tracking_id",
        "ad_id",
        "advertiser_id",
        "material_id",
    }
    body = build_events_body(
        event_source="crm",
        event_source_id="1",
        signals=[
            SignalFields(
                signal="payment",
                event_name="Purchase",
                event_id="e1",
                occurred_at=timezone.now(),
            )
        ],
    )
    assert body["data"][0]["user"] == {}
