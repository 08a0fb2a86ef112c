"""Instagram: parsing every webhook variant, Meta's signature, both API flavours' sends against
the fake (bodies, hosts, every mapped error), the token check, profiles and the reply window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from inbox.providers import instagram
from inbox.providers.base import PayloadError, ProviderError
from inbox.simulator.fakes import instagram as fake_instagram

from .helpers import (
    INSTAGRAM_ACCOUNT_ID,
    INSTAGRAM_CUSTOMER_ID,
    INSTAGRAM_PAGE_ID,
    load,
    load_raw,
)

BASE = "http://sim.test/instagram"
IG_CREDS = {"flavour": "instagram_login", "access_token": f"IGAA.{INSTAGRAM_ACCOUNT_ID}.tok"}
PAGE_CREDS = {
    "flavour": "facebook_page",
    "access_token": f"EAA.{INSTAGRAM_PAGE_ID}.{INSTAGRAM_ACCOUNT_ID}.tok",
    "page_id": INSTAGRAM_PAGE_ID,
}
FIRST_MID_END = "3000001"


def parse(name):
    return instagram.parse(load("instagram", name))


def one_message(name):
    (msg,) = parse(name).messages
    return msg


# --- parsing ------------------------------------------------------------------------------


def test_text_is_an_inbound_customer_message_routed_on_the_instagram_account():
    msg = one_message("message_text")
    assert msg.account_id == INSTAGRAM_ACCOUNT_ID
    assert msg.contact_external_id == msg.conversation_external_id == INSTAGRAM_CUSTOMER_ID
    assert msg.direction == "in" and not msg.is_echo
    assert msg.text == "Hi! Is the linen dress still available in size S?"
    assert msg.message_id.endswith(FIRST_MID_END)
    assert msg.timestamp == datetime(2026, 11, 22, 5, 20, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("message_image", "image"),
        ("message_video", "video"),
        ("message_audio", "audio"),
        ("message_file", "file"),
        ("message_animated_image", "image"),
    ],
)
def test_media_attachments_keep_their_cdn_url(name, kind):
    msg = one_message(name)
    (att,) = msg.attachments
    assert att.kind == kind and att.url.startswith("https://")
    assert msg.message_type == "attachment" and msg.text == ""


def test_a_like_heart_is_a_heart_not_an_empty_message():
    msg = one_message("message_like_heart")
    assert msg.text == "\u2764\ufe0f" and msg.message_type == "like_heart" and not msg.attachments


def test_a_story_mention_is_a_link_never_media_to_download():
    msg = one_message("message_story_mention")
    (att,) = msg.attachments
    assert msg.message_type == "story_mention"
    assert att.kind == "share_post" and "asset_id=17998765432109876" in att.url


def test_a_story_reply_keeps_the_text_and_the_story():
    msg = one_message("message_story_reply")
    assert msg.message_type == "story_reply" and msg.text == "Love this colour! How much?"
    (att,) = msg.attachments
    assert att.kind == "share_post" and att.media_id == "17998765432109877"


def test_a_reply_to_names_the_earlier_message():
    msg = one_message("message_reply_to")
    assert msg.reply_to.endswith(FIRST_MID_END)


def test_post_and_reel_shares_are_links():
    post = one_message("message_share_post")
    assert post.message_type == "ig_post"
    assert post.attachments[0].kind == "share_post"
    assert post.attachments[0].media_id == "18034567890123456"
    reel = one_message("message_reel")
    assert reel.message_type == "ig_reel" and reel.attachments[0].media_id == "18045678901234567"


def test_quick_reply_and_unsupported():
    assert one_message("message_quick_reply").text == "Size S"
    msg = one_message("message_unsupported")
    assert msg.message_type == "unsupported" and msg.text == ""


def test_an_echo_is_outbound_to_the_customer():
    msg = one_message("message_echo")
    assert msg.direction == "out" and msg.is_echo
    assert msg.contact_external_id == INSTAGRAM_CUSTOMER_ID
    assert msg.account_id == INSTAGRAM_ACCOUNT_ID


def test_unsend_is_a_change_of_that_message():
    batch = parse("message_deleted")
    assert not batch.messages
    (change,) = batch.changes
    assert change.kind == "unsend" and change.message_id.endswith(FIRST_MID_END)
    assert change.account_id == INSTAGRAM_ACCOUNT_ID


def test_reactions_react_and_unreact():
    (react,) = parse("reaction_react").changes
    assert react.kind == "reaction" and react.emoji == "\u2764\ufe0f"
    assert react.message_id.endswith("3000015")
    (unreact,) = parse("reaction_unreact").changes
    assert unreact.kind == "reaction" and unreact.emoji == ""
    assert unreact.message_id == react.message_id


def test_a_reaction_named_without_an_emoji_gets_its_emoji():
    payload = load("instagram", "reaction_react")
    reaction = payload["entry"][0]["messaging"][0]["reaction"]
    del reaction["emoji"]
    reaction["reaction"] = "haha"
    (change,) = instagram.parse(payload).changes
    assert change.emoji == "\U0001f606"


def test_read_receipt():
    (read,) = parse("read").reads
    assert read.contact_external_id == INSTAGRAM_CUSTOMER_ID
    assert read.timestamp == datetime(2026, 11, 22, 5, 20, 22, tzinfo=UTC)


def test_ad_referrals_inside_a_message_and_alone():
    msg = one_message("message_referral_ad")
    assert msg.referral.ad_id == "120210987654321098"
    assert msg.referral.ad_name == "Linen summer sale" and msg.referral.source == "ADS"
    (alone,) = parse("referral_ad").referrals
    assert alone.referral.ad_id == "120210987654321099"
    (link,) = parse("referral_igme_link").referrals
    assert link.referral.ad_id == "" and link.referral.ref == "summer-sale"
    assert link.referral.source == "IGME-SOURCE-LINK"


def test_postback_standby_and_dashboard_test_events():
    postback = one_message("postback")
    assert postback.message_type == "postback" and postback.text == "See sizes"
    assert postback.message_id.endswith("3000023")
    assert one_message("standby_text").text == "Hello? Anyone there?"
    assert one_message("dashboard_test_changes").text == "random_text"


def test_batched_entries_make_two_customers():
    batch = parse("batched_entries")
    assert [m.contact_external_id for m in batch.messages] == [
        INSTAGRAM_CUSTOMER_ID,
        "1307142680348292",
    ]


def test_comment_changes_are_comments_not_messages():
    """Comments under the account's media are parsed as comments (tests/comments)."""
    value = {"id": "1", "text": "nice", "from": {"id": "9", "username": "u"}, "media": {"id": "5"}}
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": INSTAGRAM_ACCOUNT_ID,
                "time": 1,
                "changes": [{"field": "comments", "value": value}],
            }
        ],
    }
    batch = instagram.parse(payload)
    assert not batch.messages
    (comment,) = batch.comments
    assert (comment.comment_id, comment.post_id, comment.text) == ("1", "5", "nice")


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "page", "entry": []},
        {"object": "instagram"},
        {"object": "instagram", "entry": [{"id": "1", "messaging": [{"message": "x"}]}]},
        {"object": "instagram", "entry": [{"id": "1", "messaging": [{"message": {"text": "x"}}]}]},
        {"object": "instagram", "entry": [{"id": "1", "messaging": {"a": 1}}]},
        {"object": "instagram", "entry": [{"id": "1", "messaging": [{"reaction": []}]}]},
    ],
)
def test_malformed_payloads_are_payload_errors(payload):
    with pytest.raises(PayloadError):
        instagram.parse(payload)


# --- signatures ---------------------------------------------------------------------------


def test_meta_signature_with_the_app_secret(settings):
    settings.META_APP_SECRET = "meta-secret"
    settings.INSTAGRAM_APP_SECRET = ""
    raw = load_raw("instagram", "message_text")
    headers = instagram.sign(raw, "meta-secret")
    assert headers["X-Hub-Signature-256"].startswith("sha256=")
    assert instagram.webhook_secrets() == ["meta-secret"]
    assert instagram.verify_webhook(headers, raw, "meta-secret")
    assert not instagram.verify_webhook(headers, raw + b" ", "meta-secret")
    assert not instagram.verify_webhook(headers, raw, "other")
    assert not instagram.verify_webhook({}, raw, "meta-secret")


def test_an_instagram_app_secret_is_also_accepted_when_configured(settings):
    settings.META_APP_SECRET = "meta-secret"
    settings.INSTAGRAM_APP_SECRET = "ig-secret"
    assert instagram.webhook_secrets() == ["meta-secret", "ig-secret"]


def test_get_handshake_echoes_the_challenge(settings):
    settings.META_VERIFY_TOKEN = "verify-me"
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    assert instagram.webhook_handshake(params) == "42"
    assert instagram.webhook_handshake({**params, "hub.verify_token": "no"}) is None


# --- sending ------------------------------------------------------------------------------


def send(http, creds=IG_CREDS, text="Hello", tag=""):
    return instagram.send_text(
        http,
        base_url=BASE,
        credentials=creds,
        account_id=INSTAGRAM_ACCOUNT_ID,
        recipient=INSTAGRAM_CUSTOMER_ID,
        text=text,
        tag=tag,
        version="v22.0",
    )


def test_instagram_login_sends_to_the_instagram_host(fake, http):
    result = send(http, text="Size S is in stock")
    assert result.provider_message_id.startswith("aWdf")
    (req,) = fake.requests()
    assert req["path"] == f"/instagram/graph.instagram.com/v22.0/{INSTAGRAM_ACCOUNT_ID}/messages"
    assert req["json"] == {
        "recipient": {"id": INSTAGRAM_CUSTOMER_ID},
        "message": {"text": "Size S is in stock"},
    }
    assert "appsecret_proof" not in req["query"]


def test_the_page_flavour_sends_as_the_page_with_appsecret_proof(fake, http, settings):
    settings.META_APP_SECRET = "meta-secret"
    send(http, creds=PAGE_CREDS)
    (req,) = fake.requests()
    assert req["path"] == f"/instagram/v22.0/{INSTAGRAM_PAGE_ID}/messages"
    assert len(req["query"]["appsecret_proof"]) == 64


def test_in_production_each_flavour_talks_to_its_own_host(settings):
    settings.META_GRAPH_API_URL = "https://graph.facebook.com"
    settings.INSTAGRAM_GRAPH_API_URL = "https://graph.instagram.com"
    assert instagram.api_base_url() == "https://graph.facebook.com"
    assert instagram._root(instagram.api_base_url(), IG_CREDS) == "https://graph.instagram.com"
    assert instagram._root(instagram.api_base_url(), PAGE_CREDS) == "https://graph.facebook.com"


def test_human_agent_tag_goes_in_the_body(fake, http):
    send(http, tag="HUMAN_AGENT")
    (req,) = fake.requests()
    assert req["json"]["messaging_type"] == "MESSAGE_TAG" and req["json"]["tag"] == "HUMAN_AGENT"


def test_a_token_of_the_wrong_flavour_is_refused_as_a_reconnect(fake, http):
    with pytest.raises(ProviderError) as exc:
        send(http, creds={**IG_CREDS, "access_token": "EAA.1.2.x"})
    assert exc.value.permanent and exc.value.code == "190" and "reconnect" in exc.value.message


@pytest.mark.parametrize(
    ("code", "mapped", "words"),
    [
        ("2534022", "2534022", "reply window is closed"),
        ("190", "190", "reconnect"),
        ("10", "10", "permission"),
        ("2534014", "2534014", "cannot be found"),
        ("551", "551", "isn't available"),
        ("100", "100", "invalid"),
    ],
)
def test_permanent_errors_are_mapped_to_plain_words(fake, http, code, mapped, words):
    fake.inject("error", code=code, provider="instagram")
    with pytest.raises(ProviderError) as exc:
        send(http)
    assert exc.value.permanent and exc.value.code == mapped and words in exc.value.message


def test_the_window_error_has_instagrams_real_shape():
    status, _headers, body = fake_instagram.error("2534022")
    error = json.loads(body)["error"]
    assert status == 403 and error["type"] == "IGApiException"
    assert (error["code"], error["error_subcode"]) == (10, 2534022)


@pytest.mark.parametrize("code", ["4", "613", "2", "1"])
def test_rate_limits_and_outages_are_transient(fake, http, code):
    fake.inject("error", code=code, provider="instagram")
    with pytest.raises(ProviderError) as exc:
        send(http)
    assert not exc.value.permanent


def test_http_500_and_timeouts_are_transient(fake, http):
    fake.inject("http_500", provider="instagram")
    with pytest.raises(ProviderError) as exc:
        send(http)
    assert not exc.value.permanent
    fake.inject("timeout", provider="instagram")
    with pytest.raises(ProviderError) as exc:
        send(http, creds=PAGE_CREDS)
    assert not exc.value.permanent


def test_text_limits_are_checked_before_calling(fake, http):
    with pytest.raises(ProviderError) as exc:
        send(http, text="x" * 1001)
    assert exc.value.permanent and exc.value.code == "too_long"
    assert fake.requests() == []


# --- connecting and profiles --------------------------------------------------------------


def test_connect_with_instagram_login_checks_the_account(http, settings):
    settings.META_GRAPH_API_URL = "https://graph.facebook.com"
    draft = instagram.connect_with_form(
        http,
        base_url=BASE,
        data={
            "flavour": "instagram_login",
            "account_id": INSTAGRAM_ACCOUNT_ID,
            "access_token": IG_CREDS["access_token"],
            "name": "",
        },
    )
    assert draft.account_id == INSTAGRAM_ACCOUNT_ID
    assert draft.credentials == IG_CREDS
    assert draft.name.startswith("@sim_")


def test_connect_with_a_page_checks_the_linked_instagram_account(http):
    draft = instagram.connect_with_form(
        http,
        base_url=BASE,
        data={
            "flavour": "facebook_page",
            "account_id": INSTAGRAM_ACCOUNT_ID,
            "page_id": INSTAGRAM_PAGE_ID,
            "access_token": PAGE_CREDS["access_token"],
            "name": "Shop",
        },
    )
    assert draft.credentials == PAGE_CREDS and draft.name == "Shop"


def test_a_token_for_another_account_is_refused(http):
    with pytest.raises(ProviderError) as exc:
        instagram.connect_with_form(
            http,
            base_url=BASE,
            data={
                "flavour": "instagram_login",
                "account_id": "17841400000000000",
                "access_token": IG_CREDS["access_token"],
            },
        )
    assert exc.value.code == "mismatch"


def test_the_page_flavour_form_needs_the_page_id():
    form = instagram.connect_form(
        {"flavour": "facebook_page", "account_id": INSTAGRAM_ACCOUNT_ID, "access_token": "EAA.x"}
    )
    assert not form.is_valid() and "page_id" in form.errors


def test_profile_name_for_both_flavours(fake, http):
    fake.store.set_profile(INSTAGRAM_CUSTOMER_ID, "Mai Tran")
    for creds in (IG_CREDS, PAGE_CREDS):
        name = instagram.fetch_profile_name(
            http, base_url=BASE, credentials=creds, external_id=INSTAGRAM_CUSTOMER_ID
        )
        assert name == "Mai Tran"
    paths = [r["path"] for r in fake.requests()]
    assert paths == [
        f"/instagram/graph.instagram.com/v22.0/{INSTAGRAM_CUSTOMER_ID}",
        f"/instagram/v22.0/{INSTAGRAM_CUSTOMER_ID}",
    ]


def test_a_profile_without_a_name_falls_back_to_the_username():
    assert instagram.api.display_name({"username": "mai.tran"}) == "@mai.tran"
    assert instagram.api.display_name({}) == ""


# --- reply window -------------------------------------------------------------------------

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def problem(age, tag=""):
    last = None if age is None else NOW - age
    return instagram.reply_window_problem(
        last_customer_message_at=last, business_messages_since_customer=0, now=NOW, tag=tag
    )


def tag(age, author_kind="agent"):
    return instagram.reply_tag(author_kind=author_kind, last_customer_message_at=NOW - age, now=NOW)


def test_24_hours_without_the_human_agent_tag(settings):
    settings.INSTAGRAM_HUMAN_AGENT_TAG = False
    assert problem(timedelta(hours=23, minutes=59)) is None
    assert "24 hours" in problem(timedelta(hours=24, seconds=1))
    assert "write first" in problem(None)
    assert tag(timedelta(days=2)) == ""
    assert instagram.reply_window(author_kind="agent") == timedelta(hours=24)


def test_7_days_for_human_agents_where_the_app_has_the_tag(settings):
    settings.INSTAGRAM_HUMAN_AGENT_TAG = True
    assert tag(timedelta(hours=2)) == ""
    assert tag(timedelta(days=2)) == "HUMAN_AGENT"
    assert tag(timedelta(days=2), author_kind="bot") == ""
    assert problem(timedelta(days=6), tag="HUMAN_AGENT") is None
    assert "only a human agent" in problem(timedelta(days=2))
    assert "7 days" in problem(timedelta(days=7, seconds=1), tag="HUMAN_AGENT")
    assert instagram.reply_window(author_kind="agent") == timedelta(days=7)
    assert instagram.reply_window(author_kind="bot") == timedelta(hours=24)


# --- token upkeep -------------------------------------------------------------------------


def test_instagram_login_tokens_are_refreshed_a_week_before_60_days(fake, http):
    expires = NOW + timedelta(days=6)
    assert instagram.credentials_need_refresh(
        credentials=IG_CREDS, token_expires_at=expires, now=NOW
    )
    assert not instagram.credentials_need_refresh(
        credentials=IG_CREDS, token_expires_at=NOW + timedelta(days=30), now=NOW
    )
    assert not instagram.credentials_need_refresh(
        credentials=PAGE_CREDS, token_expires_at=expires, now=NOW
    )
    draft = instagram.refresh_credentials(http, base_url=BASE, credentials=IG_CREDS, now=NOW)
    assert draft.credentials["flavour"] == "instagram_login"
    assert draft.credentials["access_token"].startswith(f"IGAA.{INSTAGRAM_ACCOUNT_ID}.")
    assert draft.credentials["access_token"] != IG_CREDS["access_token"]
    assert draft.token_expires_at == NOW + timedelta(seconds=5184000)
    (req,) = fake.requests()
    assert req["path"] == "/instagram/graph.instagram.com/refresh_access_token"
    assert req["query"]["grant_type"] == "ig_refresh_token"


def test_a_refused_refresh_is_a_permanent_reconnect(fake, http):
    fake.inject("error", code="190", provider="instagram")
    with pytest.raises(ProviderError) as exc:
        instagram.refresh_credentials(http, base_url=BASE, credentials=IG_CREDS, now=NOW)
    assert exc.value.permanent and exc.value.code == "190"
