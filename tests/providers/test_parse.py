import json
from datetime import UTC, datetime

import pytest

from inbox.providers import messenger, registry, tiktok, whatsapp
from inbox.providers.base import PayloadError

from .helpers import (
    MESSENGER_PAGE_ID,
    TIKTOK_BUSINESS_ID,
    TIKTOK_CUSTOMER_ID,
    WHATSAPP_PHONE_ID,
    all_fixtures,
    load,
    load_raw,
)


@pytest.mark.parametrize(("provider", "name"), all_fixtures())
def test_every_fixture_parses_into_something(provider, name):
    module = registry.get(provider)
    batch = module.parse(load(provider, name))
    assert not batch.is_empty()
    for item in (*batch.messages, *batch.statuses, *batch.referrals, *batch.reads):
        assert item.account_id
        assert item.timestamp.tzinfo is not None


@pytest.mark.parametrize(("provider", "name"), all_fixtures())
def test_dedup_key_is_stable_for_a_redelivery(provider, name):
    module = registry.get(provider)
    raw = load_raw(provider, name)
    assert module.dedup_key(raw, json.loads(raw)) == module.dedup_key(raw, json.loads(raw))
    assert module.dedup_key(raw, json.loads(raw)).startswith(provider + ":")


# --- TikTok ---------------------------------------------------------------------------------


def test_tiktok_text_is_an_inbound_customer_message():
    (msg,) = tiktok.parse(load("tiktok", "im_receive_msg_text")).messages
    assert msg.account_id == TIKTOK_BUSINESS_ID
    assert msg.contact_external_id == TIKTOK_CUSTOMER_ID
    assert msg.contact_name == "lina.shop.fan"
    assert msg.conversation_external_id.startswith("0:1:")
    assert msg.direction == "in" and not msg.is_echo
    assert msg.text == "Xin chào! Áo này còn size M không?"
    assert msg.message_id == "7305118392857263200"
    assert msg.timestamp == datetime(2026, 11, 22, 5, 20, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "kind", "media_id"),
    [
        ("im_receive_msg_image", "image", "v0f025gc0000ctimg0001"),
        ("im_receive_msg_sticker", "sticker", "v0f025gc0000ctstk0001"),
        ("im_receive_msg_video", "video", "v0f025gc0000ctvid0001"),
        ("im_receive_msg_share_post", "share_post", ""),
    ],
)
def test_tiktok_media_messages_become_attachments(name, kind, media_id):
    (msg,) = tiktok.parse(load("tiktok", name)).messages
    (att,) = msg.attachments
    assert att.kind == kind and att.media_id == media_id
    if kind == "share_post":
        assert att.url.startswith("https://www.tiktok.com/")


def test_tiktok_reply_keeps_the_referenced_message():
    (msg,) = tiktok.parse(load("tiktok", "im_receive_msg_reply")).messages
    assert msg.reply_to == "7305118392857263100"


def test_tiktok_eea_event_is_stripped_but_parses():
    (msg,) = tiktok.parse(load("tiktok", "im_receive_msg_eu")).messages
    assert msg.content_stripped
    assert msg.text == "" and msg.conversation_external_id == ""
    assert msg.contact_external_id == TIKTOK_CUSTOMER_ID


def test_tiktok_eea_event_without_any_content_still_has_a_stable_id():
    payload = {**load("tiktok", "im_receive_msg_eu"), "content": "{}"}
    (msg,) = tiktok.parse(payload).messages
    assert msg.message_id.startswith("eu-")
    assert tiktok.parse(payload).messages[0].message_id == msg.message_id


def test_tiktok_send_echo_is_outbound_to_the_customer():
    (msg,) = tiktok.parse(load("tiktok", "im_send_msg_echo")).messages
    assert msg.direction == "out" and msg.is_echo
    assert msg.contact_external_id == TIKTOK_CUSTOMER_ID
    assert msg.contact_name == "lina.shop.fan"


def test_tiktok_referral_from_an_ad():
    (ref,) = tiktok.parse(load("tiktok", "im_referral_msg_ad")).referrals
    assert ref.contact_external_id == TIKTOK_CUSTOMER_ID
    assert ref.referral.source == "ad"
    assert ref.referral.ad_id == "1785123456789012"
    assert ref.referral.advertiser_id == "7012345678901234567"
    assert ref.referral.material_id == "7300000000000000001"
    assert ref.referral.ad_name.startswith("Black Friday")


def test_tiktok_referral_from_a_short_link():
    (ref,) = tiktok.parse(load("tiktok", "im_referral_msg_short_link")).referrals
    assert ref.referral.source == "short_link" and ref.referral.ref == "bf2026-bio"


def test_tiktok_mark_read():
    (read,) = tiktok.parse(load("tiktok", "im_mark_read_msg")).reads
    assert read.contact_external_id == TIKTOK_CUSTOMER_ID
    assert read.timestamp == datetime(2026, 11, 22, 5, 20, 29, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {},
        {"event": "im_receive_msg"},
        {"event": "im_unknown", "user_openid": "x", "content": "{}"},
        {"event": "im_receive_msg", "user_openid": "x", "content": "not json"},
        {"event": "im_receive_msg", "user_openid": "x", "content": "[1]"},
        {"event": "im_receive_msg", "user_openid": "x", "content": "{}"},
        {"event": "im_referral_msg", "user_openid": "x", "content": '{"timestamp": 1}'},
    ],
)
def test_tiktok_malformed_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        tiktok.parse(payload)


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_text():
    (msg,) = whatsapp.parse(load("whatsapp", "message_text")).messages
    assert msg.account_id == WHATSAPP_PHONE_ID
    assert msg.contact_external_id == msg.conversation_external_id == "66812345678"
    assert msg.contact_name == "Somchai Jaidee"
    assert msg.message_id.startswith("wamid.")
    assert msg.text.startswith("สวัสดี")
    assert msg.timestamp == datetime(2026, 11, 22, 5, 20, tzinfo=UTC)


def test_whatsapp_image_and_sticker():
    (img,) = whatsapp.parse(load("whatsapp", "message_image")).messages
    assert img.attachments[0].kind == "image"
    assert img.attachments[0].media_id == "1003383421387256"
    assert img.attachments[0].mime_type == "image/jpeg"
    assert img.text == "อันนี้ครับ"
    (stk,) = whatsapp.parse(load("whatsapp", "message_sticker")).messages
    assert stk.attachments[0].kind == "sticker"


def test_whatsapp_reply_context_and_referral():
    (msg,) = whatsapp.parse(load("whatsapp", "message_reply_context")).messages
    assert msg.reply_to.startswith("wamid.")
    (msg,) = whatsapp.parse(load("whatsapp", "message_referral")).messages
    assert msg.referral.ad_id == "120212345678900123"
    assert msg.referral.ctwa_clid.startswith("ARAk")
    assert msg.referral.source == "ad"


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
def test_whatsapp_statuses(status):
    (st,) = whatsapp.parse(load("whatsapp", f"status_{status}")).statuses
    assert st.status == status
    assert st.message_id.startswith("wamid.")
    if status == "failed":
        assert st.error_code == "131047"
        assert "reply window is closed" in st.error_message


def test_whatsapp_batched_entries_and_changes():
    batch = whatsapp.parse(load("whatsapp", "batched_entries_changes"))
    assert len(batch.messages) == 3
    assert len(batch.statuses) == 1
    assert set(batch.account_ids) == {WHATSAPP_PHONE_ID, "106540352242999"}
    assert batch.messages[2].contact_name == "Nguyễn Văn An"
    assert batch.ignored  # the account_update change


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"metadata": {}}}]}],
        },
    ],
)
def test_whatsapp_malformed_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        whatsapp.parse(payload)


# --- Messenger ------------------------------------------------------------------------------


def test_messenger_text():
    (msg,) = messenger.parse(load("messenger", "message_text")).messages
    assert msg.account_id == MESSENGER_PAGE_ID
    assert msg.contact_external_id == "7012345678901234"
    assert msg.text == "Bonjour, vous livrez à Lyon ?"
    assert msg.direction == "in"


def test_messenger_image_and_sticker_attachments_keep_their_url():
    (img,) = messenger.parse(load("messenger", "message_image")).messages
    assert img.attachments[0].kind == "image"
    assert img.attachments[0].url.startswith("https://scontent")
    (stk,) = messenger.parse(load("messenger", "message_sticker")).messages
    assert stk.attachments[0].kind == "sticker"


def test_messenger_echo_is_outbound_to_the_customer():
    (msg,) = messenger.parse(load("messenger", "message_echo")).messages
    assert msg.is_echo and msg.direction == "out"
    assert msg.contact_external_id == "7012345678901234"


def test_messenger_quick_reply_and_reply_to():
    (msg,) = messenger.parse(load("messenger", "message_quick_reply")).messages
    assert msg.text == "Oui" and msg.reply_to == "m_AAAA1111ourquestion001"


def test_messenger_referrals():
    (ref,) = messenger.parse(load("messenger", "messaging_referral_ad")).referrals
    assert ref.referral.ad_id == "120209876543210001"
    assert ref.referral.source == "ADS"
    assert ref.referral.ad_name == "Soldes d'hiver -40%"
    (msg,) = messenger.parse(load("messenger", "postback_referral")).messages
    assert msg.referral.ref == "winter-sale"
    assert msg.text == "Get Started"


def test_messenger_delivery_and_read():
    (st,) = messenger.parse(load("messenger", "message_delivery")).statuses
    assert st.status == "delivered" and st.message_id == "m_AAAA1111echooutbound05"
    (read,) = messenger.parse(load("messenger", "message_read")).reads
    assert read.contact_external_id == "7012345678901234"


def test_messenger_batched_entries():
    batch = messenger.parse(load("messenger", "batched_entries"))
    assert [m.text for m in batch.messages] == ["Merci !", "À bientôt", "Encore une question"]
    assert len({m.contact_external_id for m in batch.messages}) == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "whatsapp_business_account", "entry": []},
        {"object": "page"},
        {"object": "page", "entry": [{"messaging": []}]},
        {"object": "page", "entry": [{"id": "1", "messaging": [{"message": {"text": "x"}}]}]},
        {"object": "page", "entry": [{"id": "1", "messaging": "nope"}]},
    ],
)
def test_messenger_malformed_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        messenger.parse(payload)
