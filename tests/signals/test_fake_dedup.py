"""The TikTok Events API fake deduplicates as TikTok does: the first copy of an event (same
event set, event name and event_id) counts; identical copies within 48 hours are received and
dropped; the answer is TikTok's `code: 0` either way."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from signals_app.simulator_models import FakeTikTokEvent

pytestmark = pytest.mark.django_db

TRACK = "/simulator/tiktok-ads/open_api/v1.3/event/track/"
EVENT_SET = "7300000000000000001"


def _post(client, events, **extra):
    body = {"event_source": "crm", "event_source_id": EVENT_SET, "data": events, **extra}
    response = client.post(
        TRACK,
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCESS_TOKEN="evt.dedup-token-1",
    )
    assert response.status_code == 200
    return response.json()


def _event(event_id, name="Purchase"):
    return {"event": name, "event_time": 1795331202, "event_id": event_id}


def test_a_resent_event_is_counted_once_and_the_resend_is_counted(client, fake):
    first = _post(client, [_event("parley-1-payment"), _event("parley-2-payment")])
    again = _post(client, [_event("parley-1-payment"), _event("parley-3-payment")])
    # The wire answer does not tell a duplicate apart (TikTok's does not either).
    for answer in (first, again):
        assert answer["code"] == 0 and answer["message"] == "OK" and answer["data"] == {}
        assert answer["request_id"]
    assert first["request_id"] != again["request_id"]
    counted = {e.event_id: (e.received, e.counted) for e in fake.events_counted()}
    assert counted == {
        "parley-1-payment": (2, 1),
        "parley-2-payment": (1, 1),
        "parley-3-payment": (1, 1),
    }
    assert fake.resends() == 1


def test_copies_inside_one_request_are_counted_once(client, fake):
    _post(client, [_event("parley-9-payment")] * 3)
    (row,) = fake.events_counted()
    assert (row.received, row.counted) == (3, 1)
    assert fake.resends() == 2


def test_the_same_event_id_under_another_event_name_is_another_event(client, fake):
    _post(client, [_event("shared-id", "Purchase"), _event("shared-id", "Contact")])
    assert sorted(e.event for e in fake.events_counted()) == ["Contact", "Purchase"]
    assert fake.resends() == 0


def test_a_copy_more_than_48_hours_after_the_first_counts_again(client, fake):
    _post(client, [_event("parley-5-payment")])
    FakeTikTokEvent.objects.update(first_received_at=timezone.now() - timedelta(hours=47))
    _post(client, [_event("parley-5-payment")])
    assert [(e.received, e.counted) for e in fake.events_counted()] == [(2, 1)]
    FakeTikTokEvent.objects.update(first_received_at=timezone.now() - timedelta(hours=49))
    _post(client, [_event("parley-5-payment")])
    assert [(e.received, e.counted) for e in fake.events_counted()] == [(3, 2)]


def test_refused_requests_and_test_events_are_not_counted(client, fake):
    assert _post(client, [{"event": "Purchase", "event_id": "no-time"}])["code"] == 40002
    assert _post(client, [_event("parley-7-payment")], test_event_code="TEST123")["code"] == 0
    fake.inject("http_503", count=1)
    body = {"event_source": "crm", "event_source_id": EVENT_SET, "data": [_event("x")]}
    refused = client.post(
        TRACK,
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCESS_TOKEN="evt.dedup-token-1",
    )
    assert refused.status_code == 503
    assert not fake.events_counted().exists()
