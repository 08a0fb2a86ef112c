"""Channels end to end with a real Celery worker on the real Redis: a signed webhook becomes a
stored message; an agent reply reaches the fake provider."""

import json

import pytest
from django.conf import settings
from django.utils import timezone

from inbox.models import Channel, Message, WebhookEvent
from inbox.providers import whatsapp
from inbox.simulator.models import SimulatorRequest
from tests.integration.waiting import wait_for
from tests.providers.helpers import WHATSAPP_PHONE_ID, load_recent


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_webhook_to_message_and_reply_to_fake_provider(celery_worker_process, tenant_a, client):
    channel = Channel.objects.create(
        tenant=tenant_a,
        provider="whatsapp",
        name="WA",
        account_id=WHATSAPP_PHONE_ID,
        credentials={"access_token": "EAA.integration.t"},
        settings={"simulator": True},
    )
    raw = json.dumps(load_recent("whatsapp", "message_text")).encode()
    headers = whatsapp.sign(raw, settings.META_APP_SECRET)
    response = client.post(
        "/webhooks/whatsapp/",
        data=raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"],
    )
    assert response.status_code == 200

    inbound = wait_for(lambda: Message.objects.filter(channel=channel, direction="in").first())
    assert inbound.text.startswith("สวัสดี")
    assert WebhookEvent.objects.get().status == "processed"

    from inbox.services.sending import message_send

    reply = message_send(conversation=inbound.conversation, text="ส่งวันนี้ครับ")
    sent = wait_for(lambda: Message.objects.filter(pk=reply.pk, status="sent").first(), seconds=30)
    assert sent.provider_message_id.startswith("wamid.")
    request = SimulatorRequest.objects.get(path__endswith="/messages")
    body = json.loads(request.body)
    assert body["to"] == "66812345678" and body["text"]["body"] == "ส่งวันนี้ครับ"
    assert sent.sent_at <= timezone.now()
