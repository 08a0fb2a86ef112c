import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection as db
from django.utils import timezone

from signals_app import client
from signals_app.connection import connection_access_token, disconnect
from signals_app.models import SignalReport, TikTokAdsConnection
from signals_app.simulator_models import FakeTikTokToken
from tenants.models import AuditLog

from .conftest import drain, receive, whatsapp_conversation

pytestmark = pytest.mark.django_db


def _oauth(client_, tenant, code="sim.7100000000000000001"):
    """Start OAuth from the page, let the simulated TikTok answer, follow the callback."""
    response = client_.post(f"/t/{tenant.slug}/signals/connection/oauth/", {"simulated": "1"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/simulator/tiktok-ads/auth/authorize/"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["response_type"] == "code"
    assert query["scope"] == "message.metadata.manage,event.track,webhook.manage"
    assert query["state"]
    # The consent page explains, then sends the browser back with code and state.
    page = client_.get(response["Location"])
    assert page.status_code == 200
    callback = urlsplit(query["redirect_uri"]).path
    return client_.get(callback, {"code": code, "state": query["state"]}), query


def test_oauth_connect_refresh_and_disconnect_against_the_fake(tenant_a, owner_a, client_for, fake):
    c = client_for(owner_a)
    page = c.get(f"/t/{tenant_a.slug}/signals/connection/")
    assert b"event.track" in page.content and b"Report events" in page.content
    response, _query = _oauth(c, tenant_a)
    assert response.status_code == 302
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.status == "setup"
    assert connection.account_id == "7100000000000000001"
    token = connection.credentials["access_token"]
    assert token.startswith("act.")
    # Encrypted at rest.
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM signals_app_tiktokadsconnection WHERE id = %s",
            [connection.pk],
        )
        raw = cursor.fetchone()[0]
    assert token not in raw and "refresh_token" not in raw
    # Choose the event set: created through the API, checked with a test event.
    response = c.post(
        f"/t/{tenant_a.slug}/signals/connection/event-set/",
        {"choice": "create", "name": "Parley messages"},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == "connected"
    assert connection.event_set_created
    assert FakeTikTokToken.objects.filter(kind="event_set", value=connection.event_set_id).exists()
    test_request = fake.requests("/event/track/").last()
    assert json.loads(test_request.body)["test_event_code"] == "PARLEY_TEST"
    assert test_request.headers["Access-Token"] == token
    assert fake.events_received() == []  # test events are not real ones
    actions = set(AuditLog.objects.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"signals.oauth_authorized", "signals.connected"} <= actions

    # Refresh with rotation.
    old_refresh = connection.credentials["refresh_token"]
    TikTokAdsConnection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )
    connection.refresh_from_db()
    new_token = connection_access_token(connection)
    connection.refresh_from_db()
    assert new_token != token
    assert connection.credentials["refresh_token"] != old_refresh
    assert connection.token_expires_at > timezone.now() + timedelta(hours=23)
    with pytest.raises(client.TikTokApiError) as excinfo:
        client.oauth_refresh(refresh_token=old_refresh, simulated=True)
    assert excinfo.value.kind == "token"

    # Pending reports, then disconnect.
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "I have paid")
    response = c.post(f"/t/{tenant_a.slug}/signals/connection/disconnect/")
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == "disconnected"
    assert connection.credentials == {}
    assert fake.requests("/oauth2/revoke/").count() == 1
    report = SignalReport.objects.get(conversation=conversation)
    assert report.status == "cancelled"
    assert "disconnected" in report.last_error
    # The revoked token no longer works at TikTok; nothing more is sent.
    with pytest.raises(client.TikTokApiError) as excinfo:
        client.events_track(
            access_token=new_token,
            body={"event_source": "crm", "event_source_id": connection.event_set_id, "data": []},
            simulated=True,
        )
    assert excinfo.value.code == 40105
    before = fake.requests("/event/track/").count()
    drain(tenant_a)
    assert fake.requests("/event/track/").count() == before
    log = AuditLog.objects.get(tenant=tenant_a, action="signals.disconnected")
    assert log.details["revoked"] is True and log.details["cancelled"] == 1
    dashboard = c.get(f"/t/{tenant_a.slug}/signals/")
    assert b"Cancelled" in dashboard.content

    # Reconnecting resumes reporting (cancelled reports stay cancelled).
    _oauth(c, tenant_a)
    c.post(
        f"/t/{tenant_a.slug}/signals/connection/event-set/",
        {"choice": "existing", "event_set_id": connection.event_set_id},
    )
    connection.refresh_from_db()
    assert connection.status == "connected"
    other = whatsapp_conversation(tenant_a)
    receive(other, "I want to order")
    drain(tenant_a)
    assert SignalReport.objects.get(conversation=other).status == "sent"
    assert SignalReport.objects.get(conversation=conversation).status == "cancelled"


def test_an_expired_oauth_token_is_refreshed_when_tiktok_says_so(
    tenant_a, owner_a, client_for, fake
):
    c = client_for(owner_a)
    _oauth(c, tenant_a)
    c.post(
        f"/t/{tenant_a.slug}/signals/connection/event-set/",
        {"choice": "existing", "event_set_id": "7300000000000000123"},
    )
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    old = connection.credentials["access_token"]
    FakeTikTokToken.objects.filter(value=old).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    receive(whatsapp_conversation(tenant_a), "I have paid")
    drain(tenant_a)
    connection.refresh_from_db()
    assert connection.credentials["access_token"] != old
    assert SignalReport.objects.get().status == "sent"
    codes = list(fake.requests("/event/track/").values_list("code", flat=True))
    assert codes[-2:] == [40102, 0]


def test_the_callback_refuses_an_unknown_state(tenant_a, owner_a, client_for):
    c = client_for(owner_a)
    response = c.get("/signals/tiktok/callback/", {"code": "sim.1", "state": "forged"})
    assert response.status_code == 400
    assert not TikTokAdsConnection.objects.exists()


def test_the_state_is_single_use(tenant_a, owner_a, client_for):
    c = client_for(owner_a)
    _response, query = _oauth(c, tenant_a)
    again = c.get("/signals/tiktok/callback/", {"code": "sim.1", "state": query["state"]})
    assert again.status_code == 400


def test_another_user_cannot_complete_someone_elses_authorization(
    tenant_a, owner_a, owner_b, client_for
):
    c = client_for(owner_a)
    response = c.post(f"/t/{tenant_a.slug}/signals/connection/oauth/", {"simulated": "1"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    other = client_for(owner_b)
    assert (
        other.get("/signals/tiktok/callback/", {"code": "sim.1", "state": state}).status_code == 400
    )


def test_a_connection_missing_a_permission_is_refused(tenant_a, owner_a, client_for):
    c = client_for(owner_a)
    response, _ = _oauth(c, tenant_a, code="sim.limited.7100000000000000001")
    assert response.status_code == 302
    assert not TikTokAdsConnection.objects.exists()
    page = c.get(response["Location"])
    assert b"did not grant every permission" in page.content


def test_a_refusal_at_tiktok_is_shown(tenant_a, owner_a, client_for):
    c = client_for(owner_a)
    response = c.post(f"/t/{tenant_a.slug}/signals/connection/oauth/", {"simulated": "1"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    response = c.get(
        "/signals/tiktok/callback/",
        {"error": "access_denied", "error_description": "The user refused.", "state": state},
    )
    page = c.get(response["Location"])
    assert b"The user refused." in page.content
    assert not TikTokAdsConnection.objects.exists()


def test_the_pasted_token_path_is_checked_with_a_test_event(tenant_a, admin_a, client_for, fake):
    c = client_for(admin_a)
    url = f"/t/{tenant_a.slug}/signals/connection/token/"
    response = c.post(
        url, {"event_set_id": "not-an-id", "access_token": "evt.pasted-token-1", "simulated": "1"}
    )
    assert not TikTokAdsConnection.objects.exists()
    page = c.get(response["Location"])
    assert b"TikTok refused the test event" in page.content
    c.post(
        url,
        {
            "event_set_id": "7300000000000000555",
            "access_token": "evt.pasted-token-1",
            "simulated": "1",
        },
    )
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.status == "connected" and connection.method == "token"
    assert connection.credentials == {"access_token": "evt.pasted-token-1"}
    assert AuditLog.objects.filter(tenant=tenant_a, action="signals.connected").exists()
    # The starting keyword list comes with the first connection.
    receive(whatsapp_conversation(tenant_a), "đã chuyển khoản")
    drain(tenant_a)
    assert fake.events_received()[0]["_token"] == "evt.pasted-token-1"
    # A pasted token cannot be revoked through the API: it is deleted.
    result = disconnect(tenant=tenant_a, actor=admin_a)
    assert result["revoked"] is False
    connection.refresh_from_db()
    assert connection.credentials == {}


def test_the_mapping_is_editable_per_tenant(tenant_a, owner_a, client_for, connect, fake):
    connect(tenant_a)
    c = client_for(owner_a)
    page = c.get(f"/t/{tenant_a.slug}/signals/connection/")
    assert b'value="Purchase"' in page.content
    data = {
        "event_source": "offline",
        "event_conversation_started": "Contact",
        "event_payment": "CompletePayment",
        "event_order": "PlaceAnOrder",
        "event_address": "",
        "event_booking": "Schedule",
        "event_lead": "Lead",
    }
    c.post(f"/t/{tenant_a.slug}/signals/connection/mapping/", data)
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.event_mapping == {"payment": "CompletePayment", "address": ""}
    assert connection.event_source == "offline"
    receive(whatsapp_conversation(tenant_a), "paid, my address is 1 Main St")
    drain(tenant_a)
    events = fake.events_received()
    assert [e["event"] for e in events] == ["CompletePayment"]
    assert events[0]["_event_source"] == "offline"
    bad = c.post(f"/t/{tenant_a.slug}/signals/connection/mapping/", {**data, "event_lead": "a b"})
    assert bad.status_code == 302
    assert TikTokAdsConnection.objects.get(tenant=tenant_a).event_mapping["payment"] == (
        "CompletePayment"
    )


@pytest.mark.parametrize(
    "path,method",
    [
        ("signals/connection/", "get"),
        ("signals/connection/oauth/", "post"),
        ("signals/connection/token/", "post"),
        ("signals/connection/disconnect/", "post"),
        ("signals/connection/mapping/", "post"),
        ("signals/keywords/", "get"),
        ("signals/keywords/import/", "post"),
        ("signals/reports/retry/", "post"),
    ],
)
def test_only_owners_and_admins_manage_the_connection(
    tenant_a, agent_a, viewer_a, client_for, path, method
):
    for user in (agent_a, viewer_a):
        response = getattr(client_for(user), method)(f"/t/{tenant_a.slug}/{path}")
        assert response.status_code == 403


def test_the_dashboard_is_for_owners_admins_and_viewers(
    tenant_a, owner_a, admin_a, viewer_a, agent_a, client_for
):
    for user in (owner_a, admin_a, viewer_a):
        assert client_for(user).get(f"/t/{tenant_a.slug}/signals/").status_code == 200
    assert client_for(agent_a).get(f"/t/{tenant_a.slug}/signals/").status_code == 403
    assert client_for(agent_a).get(f"/t/{tenant_a.slug}/signals/export.csv").status_code == 403


def test_a_replaced_oauth_token_is_revoked(tenant_a, owner_a, client_for, connect, fake):
    c = client_for(owner_a)
    _oauth(c, tenant_a)
    old = TikTokAdsConnection.objects.get(tenant=tenant_a).credentials["access_token"]
    connect(tenant_a)  # switches to a pasted token
    assert FakeTikTokToken.objects.get(value=old).revoked_at is not None
    assert TikTokAdsConnection.objects.get(tenant=tenant_a).method == "token"
