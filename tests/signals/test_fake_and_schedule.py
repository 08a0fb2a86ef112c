import json
from datetime import timedelta

import pytest
from django.utils import timezone

from signals_app.connection import connections_refresh_due
from signals_app.models import TikTokAdsConnection
from signals_app.simulator_models import FakeTikTokRequest

pytestmark = pytest.mark.django_db

TRACK = "/simulator/tiktok-ads/open_api/v1.3/event/track/"


def _event(n=1):
    return {"event": "Purchase", "event_time": 1795331202, "event_id": f"e{n}"}


def test_the_fake_speaks_the_events_api_over_http(client):
    body = {"event_source": "crm", "event_source_id": "7300000000000000001", "data": [_event()]}
    response = client.post(
        TRACK, json.dumps(body), content_type="application/json", HTTP_ACCESS_TOKEN="evt.http-1234"
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["code"] == 0 and answer["message"] == "OK" and answer["request_id"]
    recorded = FakeTikTokRequest.objects.get()
    assert recorded.headers["Access-Token"] == "evt.http-1234"
    assert json.loads(recorded.body) == body


@pytest.mark.parametrize(
    "headers,body,code",
    [
        ({}, {"event_source": "crm", "event_source_id": "7300000000000000001"}, 40104),
        ({"HTTP_ACCESS_TOKEN": "nope"}, {}, 40105),
        (
            {"HTTP_ACCESS_TOKEN": "evt.http-1234"},
            {"event_source": "crm", "event_source_id": "x", "data": [_event()]},
            40002,
        ),
        (
            {"HTTP_ACCESS_TOKEN": "evt.http-1234"},
            {
                "event_source": "crm",
                "event_source_id": "7300000000000000001",
                "data": [_event(n) for n in range(1001)],
            },
            40002,
        ),
    ],
)
def test_the_fake_refuses_what_tiktok_refuses(client, headers, body, code):
    response = client.post(TRACK, json.dumps(body), content_type="application/json", **headers)
    assert response.status_code == 200
    assert response.json()["code"] == code


def test_injected_failures_are_shared_through_the_database(client, fake):
    fake.inject("error", code=40133, count=1)
    fake.inject("http_503", count=1)
    body = {"event_source": "crm", "event_source_id": "7300000000000000001", "data": [_event()]}
    kwargs = {"content_type": "application/json", "HTTP_ACCESS_TOKEN": "evt.http-1234"}
    first = client.post(TRACK, json.dumps(body), **kwargs)
    second = client.post(TRACK, json.dumps(body), **kwargs)
    third = client.post(TRACK, json.dumps(body), **kwargs)
    assert first.json()["code"] == 40133
    assert second.status_code == 503
    assert third.json()["code"] == 0
    assert list(FakeTikTokRequest.objects.values_list("injected", flat=True)) == [
        "error",
        "http_503",
        "",
    ]


def test_the_sweeper_is_scheduled():
    from config.celery import app

    assert app.conf.beat_schedule["signals-sweep"]["task"] == "signals.sweep"


def test_tokens_about_to_expire_are_refreshed_by_the_sweeper(tenant_a, owner_a, client_for):
    from .test_connection import _oauth

    _oauth(client_for(owner_a), tenant_a)
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    old = connection.credentials["access_token"]
    TikTokAdsConnection.objects.update(token_expires_at=timezone.now() + timedelta(minutes=20))
    assert connections_refresh_due() == 1
    connection.refresh_from_db()
    assert connection.credentials["access_token"] != old
    # A refresh token TikTok no longer accepts: the connection asks for attention.
    TikTokAdsConnection.objects.update(token_expires_at=timezone.now())
    connection.credentials = {"access_token": "x", "refresh_token": "rft.revoked"}
    connection.save(update_fields=["credentials"])
    connections_refresh_due()
    connection.refresh_from_db()
    assert connection.status == "error"
    assert "Reconnect" in connection.last_error


def test_the_simulated_consent_page_only_returns_to_this_site(client):
    url = "/simulator/tiktok-ads/auth/authorize/"
    evil = client.get(url, {"redirect_uri": "https://evil.example/cb", "state": "s"})
    assert evil.status_code == 400
    ok = client.get(
        url,
        {
            "redirect_uri": "http://testserver/signals/tiktok/callback/",
            "state": "s<script>",
            "scope": "event.track",
        },
    )
    assert ok.status_code == 200
    assert b"s<script>" not in ok.content and b"s&lt;script&gt;" in ok.content
