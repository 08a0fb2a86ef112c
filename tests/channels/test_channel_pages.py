from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection

from inbox.models import Channel, Conversation, Message, WebhookEvent
from inbox.simulator.models import SimulatorRequest
from tests.factories import ChannelFactory

from .conftest import fake_requests

pytestmark = pytest.mark.django_db


def url(tenant, rest=""):
    return f"/t/{tenant.slug}/settings/channels/{rest}"


def test_owners_and_admins_manage_channels_agents_and_viewers_do_not(
    client_for, tenant_a, owner_a, admin_a, agent_a, viewer_a
):
    assert client_for(owner_a).get(url(tenant_a)).status_code == 200
    assert client_for(admin_a).get(url(tenant_a)).status_code == 200
    assert client_for(agent_a).get(url(tenant_a)).status_code == 403
    assert client_for(viewer_a).get(url(tenant_a, "whatsapp/")).status_code == 403


def test_another_tenant_cannot_disconnect_our_channel(client_for, tenant_a, tenant_b, owner_b):
    channel = ChannelFactory(tenant=tenant_a)
    response = client_for(owner_b).post(
        f"/t/{tenant_b.slug}/settings/channels/{channel.pk}/disconnect/"
    )
    assert response.status_code == 404
    channel.refresh_from_db()
    assert channel.status == "active"


def test_connect_whatsapp_validates_with_the_provider_and_encrypts(client_for, tenant_a, owner_a):
    response = client_for(owner_a).post(
        url(tenant_a, "whatsapp/"),
        {
            "account_id": "106540352242922",
            "waba_id": "102290129340398",
            "access_token": "EAAsecret-system-user-token",
            "simulator": "on",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.provider == "whatsapp" and channel.waba_id == "102290129340398"
    assert channel.name == "Parley Simulator"
    assert channel.credentials == {"access_token": "EAAsecret-system-user-token"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inbox_channel WHERE id = %s", [channel.pk])
        (raw,) = cursor.fetchone()
    assert "EAAsecret" not in raw
    (request,) = fake_requests("/graph/")
    assert request["path"] == "/graph/v21.0/106540352242922"


def test_connect_refuses_a_token_the_provider_rejects(client_for, tenant_a, owner_a):
    response = client_for(owner_a).post(
        url(tenant_a, "messenger/"),
        {"account_id": "104857362918273", "access_token": "bad-token", "simulator": "on"},
    )
    assert response.status_code == 200
    assert "reconnect" in response.content.decode() or "invalid" in response.content.decode()
    assert not Channel.objects.exists()


def test_connect_messenger_checks_the_page_owns_the_token(client_for, tenant_a, owner_a):
    response = client_for(owner_a).post(
        url(tenant_a, "messenger/"),
        {"account_id": "104857362918273", "access_token": "EAA.999.t", "simulator": "on"},
    )
    assert "another page" in response.content.decode()
    client_for(owner_a).post(
        url(tenant_a, "messenger/"),
        {
            "account_id": "104857362918273",
            "access_token": "EAA.104857362918273.t",
            "simulator": "on",
        },
    )
    assert Channel.objects.get().account_id == "104857362918273"


def test_an_account_connected_to_another_tenant_is_refused(client_for, tenant_a, tenant_b, owner_a):
    ChannelFactory(tenant=tenant_b, provider="messenger", account_id="104857362918273")
    response = client_for(owner_a).post(
        url(tenant_a, "messenger/"),
        {
            "account_id": "104857362918273",
            "access_token": "EAA.104857362918273.t",
            "simulator": "on",
        },
    )
    assert "another workspace" in response.content.decode()


def _tiktok_oauth(client, tenant, decision="allow", open_id="simbiz42", code_prefix=None):
    start = client.post(url(tenant, "tiktok/"), {"simulator": "1"})
    assert start.status_code == 302
    target = urlsplit(start["Location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert target.path == "/simulator/tiktok/authorize/"
    assert "message.list.send" in query["scope"] and query["state"]
    consent = client.get(target.path, {**query, "decision": decision, "open_id": open_id})
    callback = urlsplit(consent["Location"])
    params = {k: v[0] for k, v in parse_qs(callback.query).items()}
    if code_prefix:
        params["code"] = code_prefix
    return client.get(callback.path, params), query


def test_tiktok_oauth_connects_with_state_scopes_and_encrypted_tokens(
    client_for, tenant_a, owner_a
):
    client = client_for(owner_a)
    response, _query = _tiktok_oauth(client, tenant_a)
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.provider == "tiktok" and channel.account_id == "simbiz42"
    assert channel.credentials["access_token"].startswith("act.simbiz42.")
    assert channel.token_expires_at is not None
    assert set(channel.credentials["scopes"]) >= {"message.list.send", "message.list.read"}


def test_tiktok_oauth_rejects_a_wrong_state(client_for, tenant_a, owner_a):
    client = client_for(owner_a)
    client.post(url(tenant_a, "tiktok/"), {"simulator": "1"})
    response = client.get("/channels/tiktok/callback/", {"code": "sim.x", "state": "forged"})
    assert response.status_code == 400
    assert not Channel.objects.exists()


def test_tiktok_oauth_refuses_missing_scopes(client_for, tenant_a, owner_a):
    client = client_for(owner_a)
    response, _ = _tiktok_oauth(client, tenant_a, code_prefix="limited-grant")
    assert response.status_code == 302
    assert not Channel.objects.exists()
    page = client.get(response["Location"])
    assert "did not grant" in page.content.decode()


def test_tiktok_oauth_denied(client_for, tenant_a, owner_a):
    response, _ = _tiktok_oauth(client_for(owner_a), tenant_a, decision="deny")
    assert response.status_code == 302 and not Channel.objects.exists()


def test_disconnect_revokes_the_tiktok_token(client_for, tenant_a, owner_a):
    client = client_for(owner_a)
    _tiktok_oauth(client, tenant_a)
    channel = Channel.objects.get()
    token = channel.credentials["access_token"]
    response = client.post(url(tenant_a, f"{channel.pk}/disconnect/"))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.status == "disconnected" and channel.credentials == {}
    (revoke,) = fake_requests("/oauth2/revoke/")
    assert revoke["json"]["access_token"] == token


def test_the_operator_page_is_for_staff_and_reprocesses(
    client_for, owner_a, tiktok_channel, django_capture_on_commit_callbacks
):
    event = WebhookEvent.objects.create(
        provider="tiktok", body=b"{}", dedup_key="k", status="failed", error="PayloadError"
    )
    assert client_for(owner_a).get("/ops/webhook-events/").status_code == 404
    owner_a.is_staff = True
    owner_a.save()
    client = client_for(owner_a)
    page = client.get("/ops/webhook-events/?status=failed")
    assert page.status_code == 200 and "PayloadError" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ops/webhook-events/{event.pk}/reprocess/")
    event.refresh_from_db()
    assert event.status == "failed" and event.attempts == 1  # still malformed, tried again


def test_attachment_media_is_fetched_lazily_and_served_by_parley(
    client_for, agent_a, owner_b, tenant_a, tiktok_channel, post_webhook
):
    post_webhook("tiktok", "im_receive_msg_image")
    attachment = Message.objects.get().attachments.get()
    path = f"/t/{tenant_a.slug}/attachments/{attachment.pk}/"
    assert client_for(owner_b).get(path).status_code == 404
    response = client_for(agent_a).get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client_for(agent_a).get(path)
    assert len(fake_requests("/media/download/")) == 1  # cached after the first fetch


def test_the_simulator_page_sends_a_signed_webhook_as_a_customer(
    client_for, agent_a, tenant_a, tiktok_channel, django_capture_on_commit_callbacks
):
    client = client_for(agent_a)
    assert client.get(f"/t/{tenant_a.slug}/simulator/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/t/{tenant_a.slug}/simulator/",
            {
                "in-channel": tiktok_channel.pk,
                "in-name": "Minh Anh",
                "in-text": "Còn hàng không shop?",
                "in-ad_id": "1785000000000009",
            },
        )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.contact.name == "Minh Anh" and conversation.ad_id == "1785000000000009"
    assert conversation.messages.filter(kind="message").get().text == "Còn hàng không shop?"
    assert WebhookEvent.objects.filter(status="processed").count() == 2


def test_the_simulator_is_off_when_disabled(client_for, agent_a, tenant_a, settings):
    settings.SIMULATOR_ENABLED = False
    assert client_for(agent_a).get(f"/t/{tenant_a.slug}/simulator/").status_code == 404


def test_the_fake_api_over_http_records_requests(client, db):
    response = client.post(
        "/simulator/api/graph/v21.0/123/messages",
        data='{"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "message": {"text": "x"}}',
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer EAA.123.t",
    )
    assert response.status_code == 200 and response.json()["message_id"].startswith("m_")
    assert SimulatorRequest.objects.get().path == "/graph/v21.0/123/messages"


def test_simulate_inbound_command(whatsapp_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "simulate_inbound", channel=whatsapp_channel.pk, name="Somchai", text="สวัสดีครับ"
        )
    assert Message.objects.get().text == "สวัสดีครับ"


def test_seed_channels_makes_a_realistic_demo(tenant_a, django_capture_on_commit_callbacks):
    from inbox.demo import seed_channels

    with django_capture_on_commit_callbacks(execute=True):
        channels = seed_channels(tenant_a)
    assert set(channels) == {"tiktok", "whatsapp", "messenger", "instagram", "line", "zalo"}
    assert Conversation.objects.for_tenant(tenant_a).count() == 12
    sent = Message.objects.for_tenant(tenant_a).filter(direction="out")
    assert sent.count() == 6
    line_thread = Message.objects.for_tenant(tenant_a).filter(channel=channels["line"])
    assert line_thread.filter(direction="in", text__contains="ครีมกันแดด").exists()
    assert line_thread.filter(direction="out", status="sent").count() == 1
    zalo_thread = Message.objects.for_tenant(tenant_a).filter(channel=channels["zalo"])
    assert zalo_thread.filter(direction="in", text__contains="kem chống nắng").exists()
    assert zalo_thread.filter(direction="out").count() == 1  # Zalo's echo stored nothing more
    assert set(sent.values_list("status", flat=True)) <= {"sent", "delivered", "read"}
    assert Conversation.objects.for_tenant(tenant_a).filter(source="tiktok_ad").count() == 1
    instagram = Conversation.objects.for_tenant(tenant_a).get(contact__name="Mai Trần")
    assert instagram.source == "meta_ad" and instagram.channel.provider == "instagram"


def test_received_media_is_prefetched_in_the_background(tiktok_channel, post_webhook):
    post_webhook("tiktok", "im_receive_msg_image")
    post_webhook("tiktok", "im_receive_msg_share_post")
    image = Message.objects.get(attachments__kind="image").attachments.get()
    assert image.file and image.mime_type == "image/png" and image.fetched_at
    shared = Message.objects.get(attachments__kind="shared_post").attachments.get()
    assert not shared.file  # a link to a public post, not media


def test_a_restricted_agent_cannot_open_media_of_someone_elses_conversation(
    client_for, agent_a, admin_a, tenant_a, tiktok_channel, post_webhook
):
    post_webhook("tiktok", "im_receive_msg_image")
    attachment = Message.objects.get().attachments.get()
    conversation = attachment.message.conversation
    conversation.assignee = admin_a
    conversation.save()
    tenant_a.agents_see_all = False
    tenant_a.save()
    path = f"/t/{tenant_a.slug}/attachments/{attachment.pk}/"
    assert client_for(agent_a).get(path).status_code == 404
    assert client_for(admin_a).get(path).status_code == 200
