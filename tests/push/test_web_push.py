"""Web Push end to end: a device subscribes through the real endpoint, a signed webhook
brings a customer message, and the local push receiver gets (and decrypts) exactly what the
person may see."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from inbox.models import Conversation
from inbox.push.models import NotificationSetting, PushSubscription
from inbox.push.vapid import application_server_key
from tests.factories import MembershipFactory, UserFactory
from tests.providers.helpers import load_recent

from .receiver import BrowserKeys, PushReceiver, decrypt, verify_vapid

CUSTOMER_TEXT = "สวัสดีครับ ส่งของวันนี้ได้ไหมครับ"


@pytest.fixture
def receiver(settings, tmp_path):
    settings.WEB_PUSH_ALLOW_PRIVATE_ENDPOINTS = True
    with PushReceiver() as push_service:
        yield push_service


def subscribe(client, tenant, endpoint: str, keys: BrowserKeys):
    return client.post(
        f"/t/{tenant.slug}/notifications/subscriptions/",
        data=json.dumps({"endpoint": endpoint, "keys": {"p256dh": keys.p256dh, "auth": keys.auth}}),
        content_type="application/json",
    )


def customer_writes(post_webhook, text: str, message_id: str):
    payload = load_recent("whatsapp", "message_text")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"], message["text"]["body"] = message_id, text
    response = post_webhook("whatsapp", payload)
    assert response.status_code == 200


def test_a_customer_message_is_pushed_once_and_decrypts(
    tenant_a,
    agent_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    keys = BrowserKeys()
    response = subscribe(client_for(agent_a), tenant_a, f"{receiver.url}/ok/agent", keys)
    assert response.status_code == 201

    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-1")

    (push,) = receiver.to("/ok/agent")
    assert push.answered == 201
    verify_vapid(push, application_server_key=application_server_key(), audience=receiver.url)
    assert int(push.headers["ttl"]) > 0
    shown = decrypt(push, keys)
    conversation = Conversation.objects.get()
    assert "Somchai Jaidee" in shown["title"]
    assert shown["body"] == "WhatsApp · whatsapp test"  # the contact and channel, no text
    assert CUSTOMER_TEXT not in json.dumps(shown, ensure_ascii=False)
    assert shown["url"] == f"/t/{tenant_a.slug}/inbox/?c={conversation.pk}"
    assert PushSubscription.objects.get().last_sent_at is not None


def test_the_text_is_shown_only_to_who_opted_in(
    tenant_a,
    agent_a,
    owner_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    agent_keys, owner_keys = BrowserKeys(), BrowserKeys()
    subscribe(client_for(agent_a), tenant_a, f"{receiver.url}/ok/agent", agent_keys)
    owner = client_for(owner_a)
    subscribe(owner, tenant_a, f"{receiver.url}/ok/owner", owner_keys)
    owner.post(f"/t/{tenant_a.slug}/notifications/", {"scope": "all", "include_text": "1"})

    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-2")

    (to_agent,) = receiver.to("/ok/agent")
    (to_owner,) = receiver.to("/ok/owner")
    assert CUSTOMER_TEXT not in decrypt(to_agent, agent_keys)["body"]
    assert decrypt(to_owner, owner_keys)["body"].endswith(CUSTOMER_TEXT)


def test_nothing_is_pushed_for_a_conversation_the_person_cannot_see(
    tenant_a,
    tenant_b,
    agent_a,
    owner_b,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    tenant_a.agents_see_all = False
    tenant_a.save(update_fields=["agents_see_all"])
    colleague = UserFactory(email="colleague-a@example.com")
    MembershipFactory(tenant=tenant_a, user=colleague, role="agent")
    agent_client = client_for(agent_a)
    subscribe(agent_client, tenant_a, f"{receiver.url}/ok/agent", BrowserKeys())
    agent_client.post(f"/t/{tenant_a.slug}/notifications/", {"scope": "all"})
    subscribe(client_for(owner_b), tenant_b, f"{receiver.url}/ok/other-business", BrowserKeys())
    # A member of A cannot subscribe in B, whose inbox they cannot see.
    elsewhere = subscribe(agent_client, tenant_b, f"{receiver.url}/ok/x", BrowserKeys())
    assert elsewhere.status_code == 404

    customer_writes(post_webhook, "first", "wamid.push-3")
    assert len(receiver.to("/ok/agent")) == 1  # unassigned: the agent sees it
    Conversation.objects.update(assignee=colleague)

    customer_writes(post_webhook, "second", "wamid.push-4")

    assert len(receiver.to("/ok/agent")) == 1  # nothing more: now only the colleague's
    assert receiver.to("/ok/other-business") == []
    assert receiver.to("/ok/x") == []


def test_the_persons_setting_narrows_what_they_hear(
    tenant_a,
    agent_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    client = client_for(agent_a)
    subscribe(client, tenant_a, f"{receiver.url}/ok/agent", BrowserKeys())
    client.post(f"/t/{tenant_a.slug}/notifications/", {"scope": "mine"})
    assert NotificationSetting.objects.get().scope == "mine"

    customer_writes(post_webhook, "unassigned yet", "wamid.push-5")
    assert receiver.to("/ok/agent") == []
    Conversation.objects.update(assignee=agent_a)
    customer_writes(post_webhook, "now mine", "wamid.push-6")
    assert len(receiver.to("/ok/agent")) == 1


def test_a_subscription_the_push_service_calls_gone_is_removed(
    tenant_a,
    agent_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    client = client_for(agent_a)
    subscribe(client, tenant_a, f"{receiver.url}/gone/old-phone", BrowserKeys())
    subscribe(client, tenant_a, f"{receiver.url}/ok/new-phone", BrowserKeys())

    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-7")

    assert [r.answered for r in receiver.to("/gone/old-phone")] == [410]
    assert len(receiver.to("/ok/new-phone")) == 1
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        f"{receiver.url}/ok/new-phone"
    ]


def test_a_push_service_that_fails_for_a_while_is_tried_again_until_it_accepts(
    tenant_a,
    agent_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    keys = BrowserKeys()
    subscribe(client_for(agent_a), tenant_a, f"{receiver.url}/flaky/agent", keys)

    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-flaky")

    # Celery runs eagerly in the tests, so the backed-off retries run at once, in order.
    assert [r.answered for r in receiver.to("/flaky/agent")] == [503, 503, 201]
    assert decrypt(receiver.to("/flaky/agent")[-1], keys)["url"].endswith(
        f"?c={Conversation.objects.get().pk}"
    )
    subscription = PushSubscription.objects.get()
    assert subscription.last_sent_at is not None
    assert subscription.last_error == ""


def test_a_push_service_that_stays_down_is_given_up_on_and_the_failure_kept(
    tenant_a,
    agent_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    from inbox.push.services import PUSH_ATTEMPTS

    subscribe(client_for(agent_a), tenant_a, f"{receiver.url}/down/agent", BrowserKeys())

    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-down")

    assert [r.answered for r in receiver.to("/down/agent")] == [503] * PUSH_ATTEMPTS
    subscription = PushSubscription.objects.get()  # kept: the device may come back
    assert subscription.last_sent_at is None
    assert subscription.last_error.startswith("503")
    page = client_for(agent_a).get(reverse("push_settings", args=[tenant_a.slug]))
    assert "The last notification could not be delivered: 503" in page.content.decode()


def test_a_redelivered_webhook_pushes_nothing_more(
    tenant_a,
    agent_a,
    client_for,
    whatsapp_channel,
    post_webhook,
    receiver,
):
    subscribe(client_for(agent_a), tenant_a, f"{receiver.url}/ok/agent", BrowserKeys())
    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-8")
    customer_writes(post_webhook, CUSTOMER_TEXT, "wamid.push-8")
    assert len(receiver.to("/ok/agent")) == 1


def test_subscribing_refuses_a_non_push_address(tenant_a, agent_a, client_for, settings):
    settings.WEB_PUSH_ALLOW_PRIVATE_ENDPOINTS = False
    client = client_for(agent_a)
    response = subscribe(client, tenant_a, "http://127.0.0.1:9/push", BrowserKeys())
    assert response.status_code == 400
    response = client.post(
        f"/t/{tenant_a.slug}/notifications/subscriptions/",
        data=json.dumps({"endpoint": "https://push.example.com/x"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_a_device_is_removed_by_its_owner(tenant_a, agent_a, client_for, settings):
    settings.WEB_PUSH_ALLOW_PRIVATE_ENDPOINTS = False
    client = client_for(agent_a)
    endpoint = "https://push.example.com/send/abc"
    assert subscribe(client, tenant_a, endpoint, BrowserKeys()).status_code == 201
    page = client.get(f"/t/{tenant_a.slug}/notifications/")
    assert page.status_code == 200 and b"data-vapid-key" in page.content
    client.post(f"/t/{tenant_a.slug}/notifications/subscriptions/delete/", {"endpoint": endpoint})
    assert not PushSubscription.objects.exists()


def test_in_development_a_key_is_generated_once_into_the_data_folder(settings, tmp_path):
    settings.WEB_PUSH_VAPID_PRIVATE_KEY = ""
    settings.DEBUG = True
    settings.WEB_PUSH_VAPID_KEY_FILE = tmp_path / "vapid_private.pem"
    first = application_server_key()
    assert settings.WEB_PUSH_VAPID_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert application_server_key() == first
    settings.DEBUG = False
    settings.WEB_PUSH_VAPID_KEY_FILE = tmp_path / "none-in-production.pem"
    from inbox.push.vapid import push_enabled

    assert not push_enabled()
