from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from inbox.providers import messenger, tiktok, whatsapp
from inbox.providers.base import AttachmentRef, ProviderError

TT = "http://sim.test/tiktok"
GRAPH = "http://sim.test/graph"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
APP = {"client_id": "awparley", "client_secret": "shh"}


def test_authorization_url_carries_state_and_scopes():
    url = tiktok.authorization_url(
        client_key="awparley", redirect_uri="https://parley.test/cb", state="st4te"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == tiktok.AUTHORIZE_URL
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["client_key"] == "awparley" and q["state"] == "st4te"
    assert q["response_type"] == "code"
    assert q["redirect_uri"] == "https://parley.test/cb"
    assert set(q["scope"].split(",")) >= set(tiktok.REQUIRED_SCOPES)


def test_exchange_code_refresh_rotation_and_revoke(fake, http):
    tokens = tiktok.exchange_code(
        http, base_url=TT, code="sim.biz42", redirect_uri="https://parley.test/cb", now=NOW, **APP
    )
    assert tokens.open_id == "biz42"
    assert tokens.expires_at == NOW + timedelta(days=1)
    assert tiktok.missing_scopes(tokens.scopes) == []
    (req,) = fake.requests()
    assert req["json"]["grant_type"] == "authorization_code"
    assert req["json"]["auth_code"] == "sim.biz42"

    refreshed = tiktok.refresh_token(
        http, base_url=TT, refresh_token=tokens.refresh_token, now=NOW, **APP
    )
    assert refreshed.refresh_token != tokens.refresh_token
    assert refreshed.access_token != tokens.access_token
    # the old refresh token is spent (rotation)
    with pytest.raises(ProviderError) as exc:
        tiktok.refresh_token(http, base_url=TT, refresh_token=tokens.refresh_token, now=NOW, **APP)
    assert exc.value.permanent

    tiktok.revoke(http, base_url=TT, access_token=refreshed.access_token, **APP)
    with pytest.raises(ProviderError) as exc:
        tiktok.send_text(
            http,
            base_url=TT,
            credentials={"access_token": refreshed.access_token},
            account_id="biz42",
            recipient="c",
            text="hi",
        )
    assert exc.value.code == "40105"


def test_missing_scopes_are_reported(http):
    tokens = tiktok.exchange_code(
        http, base_url=TT, code="limited-1", redirect_uri="https://x/cb", now=NOW, **APP
    )
    assert tiktok.missing_scopes(tokens.scopes) == list(tiktok.REQUIRED_SCOPES)
    assert tiktok.missing_scopes("message.list.read message.list.send") == ["message.list.manage"]


def test_tiktok_fetch_media_downloads_server_side(fake, http):
    media = tiktok.fetch_media(
        http,
        base_url=TT,
        credentials={"access_token": "act.b.x"},
        account_id="b",
        media_id="v0f025gc0000ctimg0001",
        conversation_id="c",
        message_id="m",
    )
    assert media.mime_type == "image/png" and media.content.startswith(b"\x89PNG")
    assert [r["path"] for r in fake.requests()] == [
        "/tiktok/open_api/v1.3/business/message/media/download/",
        "/tiktok/media/v0f025gc0000ctimg0001",
    ]


def test_whatsapp_fetch_media_resolves_the_id_then_downloads(fake, http):
    media = whatsapp.fetch_media(
        http, base_url=GRAPH, credentials={"access_token": "EAAx"}, account_id="p", media_id="99"
    )
    assert media.content.startswith(b"\x89PNG")
    assert [r["path"] for r in fake.requests()] == [
        "/graph/v21.0/99",
        "/graph/media-download/99",
    ]


def test_messenger_fetch_media_uses_the_webhook_url(http):
    att = AttachmentRef(kind="image", url="http://sim.test/graph/cdn/5.png")
    media = messenger.fetch_media(
        http, base_url=GRAPH, credentials={"access_token": "EAAx"}, account_id="p", url=att.url
    )
    assert media.mime_type == "image/png"
    with pytest.raises(ProviderError):
        messenger.fetch_media(http, base_url=GRAPH, credentials={}, account_id="p")


def test_meta_validate_credentials(http):
    info = whatsapp.validate_credentials(
        http, base_url=GRAPH, credentials={"access_token": "EAAgood"}, account_id="106540352242922"
    )
    assert info["display_phone_number"]
    with pytest.raises(ProviderError) as exc:
        whatsapp.validate_credentials(
            http, base_url=GRAPH, credentials={"access_token": "bad"}, account_id="1"
        )
    assert exc.value.permanent and exc.value.code == "190"
    page = messenger.validate_credentials(
        http, base_url=GRAPH, credentials={"access_token": "EAA.555.t"}, account_id="555"
    )
    assert page["id"] == "555"
    with pytest.raises(ProviderError) as exc:
        messenger.validate_credentials(
            http, base_url=GRAPH, credentials={"access_token": "EAA.555.t"}, account_id="556"
        )
    assert exc.value.code == "mismatch"
