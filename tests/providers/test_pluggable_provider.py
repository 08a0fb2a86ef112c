"""A provider is one module: "Parrot", defined only here, is registered and taken through
connect, signed webhooks (its secret is per channel, as LINE's and Zalo's are), a stored
message, a reply through its fake API, and the delivery status — touching no other module."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django import forms
from django.db import connection

from inbox.models import Channel, Contact, Conversation, Message, WebhookEvent
from inbox.providers import base, registry
from inbox.providers.base import (
    ChannelDraft,
    InboundMessage,
    ParsedBatch,
    PayloadError,
    ProviderError,
    SendResult,
    StatusUpdate,
)
from inbox.simulator.fake_providers import json_response
from inbox.simulator.store import DatabaseStore

pytestmark = pytest.mark.django_db

SIGNATURE_HEADER = "X-Parrot-Signature"


class ParrotFake:
    """Parrot's API as the simulator serves it: ``/parrot/v1/<account>/me`` checks a token,
    ``/parrot/v1/<account>/send`` sends."""

    API_PATH = "parrot"

    @staticmethod
    def handle(fakes, method: str, path: str, query: dict, headers: dict, data: Any):
        parts = [p for p in path.split("/") if p]
        if len(parts) != 3 or parts[0] != "v1":
            return json_response(404, {"error": "no such endpoint"})
        account, action = parts[1], parts[2]
        if headers.get("authorization") != f"Bearer tok-{account}":
            return json_response(401, {"error": "bad token"})
        if method == "GET" and action == "me":
            return json_response(200, {"id": account, "name": f"Parrot shop {account}"})
        if method == "POST" and action == "send" and isinstance(data, dict) and data.get("text"):
            return json_response(200, {"id": "p-" + secrets.token_hex(6)})
        return json_response(400, {"error": "bad request"})

    @staticmethod
    def error(code: str = "", message: str = ""):
        return json_response(503, {"error": message or "unavailable"})


class ParrotConnectForm(forms.Form):
    account_id = forms.RegexField(regex=r"^[a-z0-9]{3,20}$")
    access_token = forms.CharField()
    webhook_secret = forms.CharField(min_length=8)


class Parrot:
    NAME = "parrot"
    LABEL = "Parrot"
    MAX_TEXT_LENGTH = 500
    SIGNATURE_HEADER = SIGNATURE_HEADER
    AD_SOURCE = "organic"
    TOKEN_ERROR_CODES = {"401"}
    SIGNED_PER_CHANNEL = True
    FAKE_API_PATH = "parrot"
    HAS_PROFILE_API = False
    CONNECT = "form"
    CONNECT_LABEL = "Connect a Parrot account"
    CONNECT_HELP = "Paste the account id, its token and its webhook secret."
    REPLY_WINDOW = timedelta(hours=24)

    # webhooks: each channel has its own secret; the payload names the account
    def webhook_secrets(self) -> list[str]:
        return []

    def webhook_account_id(self, payload) -> str:
        return str(payload.get("account", "")) if isinstance(payload, dict) else ""

    def channel_webhook_secret(self, channel) -> str:
        return channel.credentials.get("webhook_secret", "")

    def sign(self, raw_body: bytes, secret: str, *, timestamp=None) -> dict:
        return {SIGNATURE_HEADER: hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()}

    def verify_webhook(self, headers, raw_body: bytes, secret: str) -> bool:
        expected = self.sign(raw_body, secret)[SIGNATURE_HEADER]
        return hmac.compare_digest(base.header(headers, SIGNATURE_HEADER), expected)

    def webhook_handshake(self, params) -> str | None:
        return None

    def dedup_key(self, raw_body: bytes, payload) -> str:
        return "parrot:" + base.body_hash(raw_body)

    def parse(self, payload) -> ParsedBatch:
        if not isinstance(payload, dict) or "account" not in payload:
            raise PayloadError("not a Parrot payload")
        account = str(payload["account"])
        messages = tuple(
            InboundMessage(
                account_id=account,
                conversation_external_id="",
                contact_external_id=m["from"],
                contact_name=m.get("name", ""),
                message_id=m["id"],
                timestamp=datetime.fromtimestamp(m["ts"], tz=UTC),
                text=m.get("text", ""),
            )
            for m in payload.get("messages", [])
        )
        statuses = tuple(
            StatusUpdate(
                account_id=account,
                message_id=s["id"],
                status=s["status"],
                timestamp=datetime.fromtimestamp(s["ts"], tz=UTC),
            )
            for s in payload.get("statuses", [])
        )
        return ParsedBatch(messages=messages, statuses=statuses)

    # outbound HTTP
    def api_base_url(self) -> str:
        return "https://api.parrot.invalid"

    def http_options(self) -> dict:
        return {}

    def send_text(self, client, *, base_url, credentials, account_id, recipient, text, **opts):
        base.check_text(text, self.MAX_TEXT_LENGTH)
        response = base.http_request(
            client,
            "POST",
            f"{base_url}/v1/{account_id}/send",
            headers={"Authorization": f"Bearer {credentials['access_token']}"},
            json={"to": recipient, "text": text},
        )
        if response.status_code != 200:
            raise ProviderError(
                "Parrot refused.",
                code=str(response.status_code),
                permanent=response.status_code < 500,
            )
        return SendResult(provider_message_id=response.json()["id"])

    def send_recipient(self, *, conversation_external_id: str, contact_external_id: str) -> str:
        return contact_external_id

    def fetch_media(self, client, **kwargs):
        raise ProviderError("Parrot has no media.", code="no_media", permanent=True)

    fetch_profile_name = staticmethod(base.no_profile_name)

    # reply-window rules
    def reply_tag(self, *, author_kind, last_customer_message_at, now) -> str:
        return ""

    def reply_window(self, *, author_kind: str) -> timedelta:
        return self.REPLY_WINDOW

    def reply_window_problem(
        self, *, last_customer_message_at, business_messages_since_customer, now, tag=""
    ):
        if last_customer_message_at is None:
            return "On Parrot the customer writes first."
        if now - last_customer_message_at > self.REPLY_WINDOW:
            return "Parrot allows replies for 24 hours after the customer's last message."
        return None

    # connecting
    def connect_form(self, *args, **kwargs):
        return ParrotConnectForm(*args, **kwargs)

    def connect_with_form(self, client, *, base_url: str, data: dict) -> ChannelDraft:
        token, account = data["access_token"], data["account_id"]
        response = base.http_request(
            client,
            "GET",
            f"{base_url}/v1/{account}/me",
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code != 200:
            raise ProviderError("Parrot did not accept this token.", code="401", permanent=True)
        return ChannelDraft(
            account_id=account,
            name=response.json()["name"],
            credentials={"access_token": token, "webhook_secret": data["webhook_secret"]},
        )

    oauth_authorize_url = staticmethod(base.no_oauth)
    connect_with_code = staticmethod(base.no_oauth)
    credentials_need_refresh = staticmethod(base.no_refresh_needed)
    refresh_credentials = staticmethod(base.no_refresh)
    revoke_credentials = staticmethod(base.no_revoke)

    def fake(self):
        return ParrotFake


@pytest.fixture
def parrot(settings):
    settings.SIMULATOR_ENABLED = True
    provider = registry.register(Parrot())
    yield provider
    registry.unregister(provider.NAME)


def _connect(client, tenant, account_id: str, secret: str):
    return client.post(
        f"/t/{tenant.slug}/settings/channels/parrot/",
        {
            "account_id": account_id,
            "access_token": f"tok-{account_id}",
            "webhook_secret": secret,
            "simulator": "on",
        },
    )


def _post(client, payload: dict, secret: str, capture):
    raw = json.dumps(payload).encode()
    signature = Parrot().sign(raw, secret)[SIGNATURE_HEADER]
    with capture(execute=True):
        return client.post(
            "/webhooks/parrot/",
            data=raw,
            content_type="application/json",
            HTTP_X_PARROT_SIGNATURE=signature,
        )


def _customer_message(account_id: str, text: str, *, at: float, message_id: str) -> dict:
    return {
        "account": account_id,
        "messages": [{"id": message_id, "from": "cust-1", "name": "Ana", "text": text, "ts": at}],
    }


def test_a_provider_defined_in_the_test_suite_goes_from_connect_to_delivery_status(
    parrot, client_for, tenant_a, owner_a, client, django_capture_on_commit_callbacks
):
    owner = client_for(owner_a)
    capture = django_capture_on_commit_callbacks

    # connect: the provider's own form, checked against its (fake) API, secret stored encrypted
    page = owner.get(f"/t/{tenant_a.slug}/settings/channels/")
    assert "Connect a Parrot account" in page.content.decode()
    assert "/webhooks/parrot/" in page.content.decode()
    connected = _connect(owner, tenant_a, "shop1", "s3cret-shop1")
    assert connected.status_code == 302
    channel = Channel.objects.get(provider="parrot")
    assert channel.name == "Parrot shop shop1" and channel.get_provider_display() == "Parrot"
    assert channel.credentials["webhook_secret"] == "s3cret-shop1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inbox_channel WHERE id = %s", [channel.pk])
        assert "s3cret-shop1" not in cursor.fetchone()[0]

    # a signed webhook, verified with this channel's secret: stored, processed, shown
    now = time.time()
    hello = _customer_message("shop1", "Hello parrot", at=now, message_id="m1")
    assert _post(client, hello, "s3cret-shop1", capture).status_code == 200
    message = Message.objects.get()
    assert message.text == "Hello parrot" and message.direction == "in"
    assert Contact.objects.get().name == "Ana"
    conversation = message.conversation
    assert conversation.channel == channel and conversation.tenant == tenant_a
    inbox = owner.get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True)
    assert "Hello parrot" in inbox.content.decode()

    # a reply from the composer goes out through Parrot's API and is marked sent
    with capture(execute=True):
        reply = owner.post(
            f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/reply/",
            {"text": "Hi Ana!", "mode": "reply"},
        )
    assert reply.status_code == 200
    sent = Message.objects.get(direction="out")
    assert sent.status == "sent" and sent.provider_message_id.startswith("p-")
    (send_request,) = [r for r in DatabaseStore().requests() if r["path"].endswith("/send")]
    assert send_request["path"] == "/parrot/v1/shop1/send"
    assert json.loads(send_request["body"]) == {"to": "cust-1", "text": "Hi Ana!"}

    # the delivery status comes back as a signed webhook
    status = {
        "account": "shop1",
        "statuses": [{"id": sent.provider_message_id, "status": "delivered", "ts": now + 1}],
    }
    assert _post(client, status, "s3cret-shop1", capture).status_code == 200
    sent.refresh_from_db()
    assert sent.status == "delivered" and sent.delivered_at is not None


def test_a_per_channel_signature_is_checked_with_that_channels_secret_before_storing(
    parrot,
    client_for,
    tenant_a,
    tenant_b,
    owner_a,
    owner_b,
    client,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    _connect(client_for(owner_a), tenant_a, "shop1", "secret-of-shop1")
    _connect(client_for(owner_b), tenant_b, "shop2", "secret-of-shop2")
    assert Channel.objects.filter(provider="parrot").count() == 2
    payload = _customer_message("shop1", "hi", at=time.time(), message_id="m1")

    # another channel's secret, a wrong one, and an account nobody connected: 401, nothing kept
    assert _post(client, payload, "secret-of-shop2", capture).status_code == 401
    assert _post(client, payload, "not-the-secret", capture).status_code == 401
    unknown = _customer_message("nobody", "hi", at=time.time(), message_id="m2")
    assert _post(client, unknown, "secret-of-shop1", capture).status_code == 401
    unsigned = client.post("/webhooks/parrot/", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 401
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()

    # the right secret: stored once, even when delivered twice
    assert _post(client, payload, "secret-of-shop1", capture).status_code == 200
    assert _post(client, payload, "secret-of-shop1", capture).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert Message.objects.get().tenant == tenant_a


def test_the_composer_and_the_send_use_the_providers_own_reply_window(
    parrot, client_for, tenant_a, owner_a, client, django_capture_on_commit_callbacks
):
    owner = client_for(owner_a)
    _connect(owner, tenant_a, "shop1", "s3cret-shop1")
    old = time.time() - 25 * 3600
    message = _customer_message("shop1", "yesterday", at=old, message_id="m1")
    _post(client, message, "s3cret-shop1", django_capture_on_commit_callbacks)
    conversation = Conversation.objects.get()
    page = owner.get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True).content.decode()
    assert "Parrot allows replies for 24 hours" in page
    refused = owner.post(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/reply/", {"text": "hi", "mode": "reply"}
    )
    assert refused.status_code == 422
    assert "Parrot allows replies for 24 hours" in refused.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_registering_a_provider_that_lacks_part_of_the_surface_names_what_is_missing():
    class Half:
        NAME = "half"

    with pytest.raises(TypeError, match="verify_webhook"):
        registry.register(Half())
    assert "half" not in registry.PROVIDERS


def test_the_fake_api_of_a_registered_provider_is_served_by_the_simulator(parrot, client):
    response = client.get(
        "/simulator/api/parrot/v1/shop9/me", HTTP_AUTHORIZATION="Bearer tok-shop9"
    )
    assert response.status_code == 200 and response.json()["id"] == "shop9"
    assert client.get("/simulator/api/parrot/v1/shop9/me").status_code == 401
