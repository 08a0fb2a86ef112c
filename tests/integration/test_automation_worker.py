"""Automation end to end with a real Celery worker on the real Redis: a keyword message arrives
by a signed webhook, the worker stores it, runs the rules and sends the auto-reply, which
reaches the fake provider exactly once — also when the message is processed again."""

import json
import time

import pytest
from django.conf import settings

from inbox.models import Channel, Message
from inbox.simulator import models as simulator
from tests.integration.waiting import wait_for


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_keyword_message_by_webhook_is_answered_once_at_the_fake_provider(
    celery_worker_process, tenant_a, client
):
    from inbox.automation import services
    from inbox.providers import whatsapp
    from tests.providers.helpers import WHATSAPP_PHONE_ID, load_recent

    channel = Channel.objects.create(
        tenant=tenant_a,
        provider="whatsapp",
        name="WA",
        account_id=WHATSAPP_PHONE_ID,
        credentials={"access_token": "EAA.integration.t"},
        settings={"simulator": True},
    )
    services.rule_save(
        tenant=tenant_a,
        actor=None,
        data={
            "name": "Greeting",
            "trigger": "keywords",
            "reply_text": 'สวัสดีค่ะ {{ contact.first_name|default:"คุณลูกค้า" }} 🙏',
            "cooldown_minutes": 0,
        },
        keywords=["สวัสดี"],
        keyword_mode="contains",
    )
    raw = json.dumps(load_recent("whatsapp", "message_text")).encode()
    signature = whatsapp.sign(raw, settings.META_APP_SECRET)["X-Hub-Signature-256"]

    started = time.monotonic()
    response = client.post(
        "/webhooks/whatsapp/",
        data=raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert response.status_code == 200

    def sent_reply():
        return Message.objects.filter(
            channel=channel, direction="out", author_kind="bot", status="sent"
        ).first()

    reply = wait_for(sent_reply)
    elapsed = time.monotonic() - started
    assert reply.rule_name == "Greeting" and reply.text.startswith("สวัสดีค่ะ")
    requests = simulator.SimulatorRequest.objects.filter(path__endswith="/messages")
    assert requests.count() == 1
    assert json.loads(requests.get().body)["text"]["body"] == reply.text

    # The provider redelivers the webhook, and the automation task runs again for the
    # same message: still one reply.
    inbound = Message.objects.get(channel=channel, direction="in")
    client.post(
        "/webhooks/whatsapp/",
        data=raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    celery_worker_process.send_task("automation.run_for_message", args=[inbound.pk])
    time.sleep(3)
    assert simulator.SimulatorRequest.objects.filter(path__endswith="/messages").count() == 1
    assert Message.objects.filter(channel=channel, author_kind="bot", kind="message").count() == 1
    assert elapsed < 10, f"webhook → auto-reply at the provider took {elapsed:.2f} s"
