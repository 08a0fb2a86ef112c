import pytest

from inbox.providers import messenger, tiktok, whatsapp
from inbox.providers.base import ProviderError

TT = "http://sim.test/tiktok"
GRAPH = "http://sim.test/graph"
TT_CREDS = {"access_token": "act.biz1.abcdef"}
META_CREDS = {"access_token": "EAA.104857362918273.token"}


def send_tiktok(http, text="Hello", creds=TT_CREDS):
    return tiktok.send_text(
        http, base_url=TT, credentials=creds, account_id="biz1", recipient="conv-1", text=text
    )


def send_whatsapp(http, text="Hello"):
    return whatsapp.send_text(
        http,
        base_url=GRAPH,
        credentials=META_CREDS,
        account_id="106540352242922",
        recipient="66812345678",
        text=text,
    )


def send_messenger(http, text="Hello", tag=""):
    return messenger.send_text(
        http,
        base_url=GRAPH,
        credentials=META_CREDS,
        account_id="104857362918273",
        recipient="7012345678901234",
        text=text,
        tag=tag,
    )


# --- TikTok ---------------------------------------------------------------------------------


def test_tiktok_send_posts_the_documented_body(fake, http):
    result = send_tiktok(http, "Xin chào")
    assert result.provider_message_id.startswith("msg.")
    (req,) = fake.requests("/business/message/send/")
    assert req["path"] == "/tiktok/open_api/v1.3/business/message/send/"
    assert req["headers"]["access-token"].startswith("act.bi")
    assert req["json"] == {
        "business_id": "biz1",
        "recipient_type": "CONVERSATION",
        "recipient": "conv-1",
        "message_type": "TEXT",
        "text": {"body": "Xin chào"},
    }


@pytest.mark.parametrize("code", ["51065", "40100"])
def test_tiktok_transient_codes_in_an_http_200_are_retryable(fake, http, code):
    fake.inject("error", code=code, provider="tiktok")
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http)
    assert exc.value.code == code and not exc.value.permanent
    assert exc.value.http_status == 200


@pytest.mark.parametrize("code", ["40001", "40002", "40007", "40064", "40102", "40105"])
def test_tiktok_permanent_codes_fail_with_a_human_message(fake, http, code):
    fake.inject("error", code=code, provider="tiktok")
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http)
    assert exc.value.permanent and exc.value.code == code
    assert "TikTok" in exc.value.message and code not in exc.value.message


def test_tiktok_unknown_server_side_code_is_transient_unknown_client_code_permanent(fake, http):
    fake.inject("error", code="50002", provider="tiktok")
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http)
    assert not exc.value.permanent
    fake.inject("error", code="40999", provider="tiktok")
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http)
    assert exc.value.permanent and "40999" in exc.value.message


def test_tiktok_http_500_and_timeout_are_transient(fake, http):
    fake.inject("http_500", provider="tiktok")
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http)
    assert not exc.value.permanent and exc.value.http_status == 500
    fake.inject("timeout", provider="tiktok")
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http)
    assert not exc.value.permanent and exc.value.code == "timeout"
    assert send_tiktok(http).provider_message_id  # the next one goes through


def test_tiktok_invalid_token_is_permanent(http):
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http, creds={"access_token": "nope"})
    assert exc.value.permanent and exc.value.code == "40105"


def test_text_limits_are_checked_before_calling(fake, http):
    with pytest.raises(ProviderError) as exc:
        send_tiktok(http, "x" * 6001)
    assert exc.value.permanent and exc.value.code == "too_long"
    with pytest.raises(ProviderError):
        send_whatsapp(http, "x" * 4097)
    with pytest.raises(ProviderError):
        send_messenger(http, "x" * 2001)
    with pytest.raises(ProviderError):
        send_messenger(http, "   ")
    assert fake.requests() == []
    assert send_tiktok(http, "x" * 6000).provider_message_id


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_send_posts_the_documented_body(fake, http):
    result = send_whatsapp(http, "สวัสดีครับ")
    assert result.provider_message_id.startswith("wamid.")
    (req,) = fake.requests()
    assert req["path"] == "/graph/v21.0/106540352242922/messages"
    assert req["headers"]["authorization"].startswith("Bearer")
    assert req["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "66812345678",
        "type": "text",
        "text": {"body": "สวัสดีครับ", "preview_url": False},
    }


def test_whatsapp_131047_is_a_permanent_reply_window_error(fake, http):
    fake.inject("error", code="131047", provider="graph")
    with pytest.raises(ProviderError) as exc:
        send_whatsapp(http)
    assert exc.value.permanent and exc.value.code == "131047"
    assert "reply window is closed" in exc.value.message


@pytest.mark.parametrize("code", ["130429", "131056", "4", "613", "2"])
def test_meta_rate_limits_are_transient(fake, http, code):
    fake.inject("error", code=code, provider="graph")
    with pytest.raises(ProviderError) as exc:
        send_whatsapp(http)
    assert not exc.value.permanent


@pytest.mark.parametrize(("code", "words"), [("190", "reconnect"), ("10", "permission")])
def test_meta_token_and_permission_errors_are_permanent(fake, http, code, words):
    fake.inject("error", code=code, provider="graph")
    with pytest.raises(ProviderError) as exc:
        send_messenger(http)
    assert exc.value.permanent and words in exc.value.message


def test_meta_http_500_and_timeouts_are_transient(fake, http):
    fake.inject("http_500", provider="graph")
    with pytest.raises(ProviderError) as exc:
        send_whatsapp(http)
    assert not exc.value.permanent
    fake.inject("timeout", provider="graph")
    with pytest.raises(ProviderError) as exc:
        send_messenger(http)
    assert not exc.value.permanent


# --- Messenger ------------------------------------------------------------------------------


def test_messenger_send_is_a_response_inside_the_window(fake, http):
    result = send_messenger(http, "Oui")
    assert result.provider_message_id.startswith("m_")
    (req,) = fake.requests()
    assert req["path"] == "/graph/v21.0/104857362918273/messages"
    assert req["json"] == {
        "recipient": {"id": "7012345678901234"},
        "message": {"text": "Oui"},
        "messaging_type": "RESPONSE",
    }


def test_messenger_send_with_human_agent_tag(fake, http):
    send_messenger(http, "Oui", tag="HUMAN_AGENT")
    (req,) = fake.requests()
    assert req["json"]["messaging_type"] == "MESSAGE_TAG"
    assert req["json"]["tag"] == "HUMAN_AGENT"


def test_failure_injection_can_target_a_path(fake, http):
    fake.inject("http_500", count=2, path_contains="/messages")
    with pytest.raises(ProviderError):
        send_messenger(http)
    assert send_tiktok(http).provider_message_id  # not matched
    with pytest.raises(ProviderError):
        send_whatsapp(http)
    assert send_whatsapp(http).provider_message_id
    assert [r["status"] for r in fake.requests()] == [500, 200, 500, 200]
