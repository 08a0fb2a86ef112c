"""Instagram through Parley: signed webhooks into the inbox (every event type), echoes and
messages typed in the Instagram app, reactions, unsend, read receipts, ad attribution, replies
through the fake (both flavours, errors, the window and HUMAN_AGENT), connecting from the
Channels page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import Channel, Contact, Conversation, Message, WebhookEvent
from inbox.services.sending import ReplyWindowClosed, message_deliver, message_send
from inbox.simulator.store import DatabaseStore
from tests.providers.helpers import (
    INSTAGRAM_ACCOUNT_ID,
    INSTAGRAM_CUSTOMER_ID,
    INSTAGRAM_PAGE_ID,
    load_recent,
    load_recent_raw,
)

from .conftest import fake_requests, signed_headers

pytestmark = pytest.mark.django_db


def post(post_webhook, name):
    response = post_webhook("instagram", name)
    assert response.status_code == 200
    return response


def test_a_text_creates_a_named_contact_a_conversation_and_a_message(
    instagram_channel, post_webhook
):
    DatabaseStore().set_profile(INSTAGRAM_CUSTOMER_ID, "Mai Tran")
    post(post_webhook, "message_text")
    message = Message.objects.get()
    assert message.direction == "in" and message.author_kind == "customer"
    assert message.text == "Hi! Is the linen dress still available in size S?"
    assert message.channel == instagram_channel
    contact = Contact.objects.get()
    assert contact.name == "Mai Tran"
    assert contact.identities.get().external_id == INSTAGRAM_CUSTOMER_ID
    post(post_webhook, "message_image")
    # the profile API is asked once, for the new contact
    assert len(fake_requests(f"/{INSTAGRAM_CUSTOMER_ID}")) == 1


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + "0" * 64}])
def test_a_wrong_or_missing_signature_is_401_and_nothing_is_stored(
    instagram_channel, post_webhook, headers
):
    response = post_webhook(
        "instagram", load_recent_raw("instagram", "message_text"), headers=headers
    )
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()


def test_a_body_signed_with_another_secret_is_401(instagram_channel, post_webhook, settings):
    raw = load_recent_raw("instagram", "message_text")
    headers = signed_headers("instagram", raw)
    settings.META_APP_SECRET = "rotated-secret"
    assert post_webhook("instagram", raw, headers=headers).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_redelivery_makes_one_message(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    post(post_webhook, "message_text")
    # the same message in another batch (another body): still one message
    post(post_webhook, "batched_entries")
    post(post_webhook, "batched_entries")
    assert (
        Message.objects.filter(text="Hi! Is the linen dress still available in size S?").count()
        == 1
    )
    assert Message.objects.count() == 3


def test_story_mentions_and_replies_are_links_not_downloaded_media(instagram_channel, post_webhook):
    post(post_webhook, "message_story_mention")
    post(post_webhook, "message_story_reply")
    mention = Message.objects.get(metadata__type="story_mention")
    assert mention.attachments.get().kind == "shared_post"
    reply = Message.objects.get(metadata__type="story_reply")
    assert reply.text == "Love this colour! How much?"
    assert reply.attachments.get().kind == "shared_post"
    assert not fake_requests("ig_messaging_cdn")  # never fetched


def test_a_reply_to_links_the_earlier_message(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    post(post_webhook, "message_reply_to")
    reply = Message.objects.get(text="Yes, that one please")
    assert reply.reply_to == Message.objects.get(text__startswith="Hi! Is the linen")


def test_a_message_typed_in_the_instagram_app_is_an_agent_message(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    post(post_webhook, "message_echo")
    typed = Message.objects.get(direction="out")
    assert typed.author_kind == "agent" and typed.status == "sent"
    assert typed.metadata["sent_from"] == "provider_app"
    assert typed.conversation == Conversation.objects.get()
    post(post_webhook, "message_echo")  # redelivered
    assert Message.objects.filter(direction="out").count() == 1


def test_the_echo_of_our_own_send_is_never_a_second_message(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    conversation = Conversation.objects.get()
    sent = message_send(conversation=conversation, text="Yes, size S is in stock 😊")
    message_deliver(message_id=sent.pk)
    sent.refresh_from_db()
    assert sent.status == "sent"
    echo = load_recent("instagram", "message_echo")
    echo["entry"][0]["messaging"][0]["message"]["mid"] = sent.provider_message_id
    post_webhook("instagram", echo)
    assert Message.objects.filter(direction="out").count() == 1


def test_an_echo_arriving_before_the_send_returns_is_matched_by_text(
    instagram_channel, post_webhook
):
    post(post_webhook, "message_text")
    sent = message_send(conversation=Conversation.objects.get(), text="Yes, size S is in stock 😊")
    post(post_webhook, "message_echo")  # before message_deliver recorded the id
    assert Message.objects.filter(direction="out").count() == 1
    sent.refresh_from_db()
    assert sent.provider_message_id.endswith("3000015")


def test_reactions_are_kept_on_the_message_and_can_be_taken_back(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    post(post_webhook, "message_echo")
    post(post_webhook, "reaction_react")
    ours = Message.objects.get(direction="out")
    assert ours.metadata["reaction"] == "\u2764\ufe0f"
    post(post_webhook, "reaction_unreact")
    ours.refresh_from_db()
    assert "reaction" not in ours.metadata
    assert WebhookEvent.objects.filter(status="processed").count() == 4


def test_unsend_removes_the_text_and_says_so(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    post(post_webhook, "message_deleted")
    message = Message.objects.get()
    assert message.text == "" and message.metadata["unsent"]
    assert Conversation.objects.get().last_message_preview == "Message unsent"


def test_a_read_receipt_marks_our_messages_read(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    post(post_webhook, "message_echo")
    post(post_webhook, "read")
    assert Message.objects.get(direction="out").status == "read"


def test_an_ad_referral_in_the_first_message_is_attribution(instagram_channel, post_webhook):
    post(post_webhook, "message_referral_ad")
    conversation = Conversation.objects.get()
    assert conversation.source == "meta_ad"
    assert conversation.ad_id == "120210987654321098"
    assert conversation.campaign_name == "Linen summer sale"


def test_a_standalone_ad_referral_is_attribution_and_an_activity_line(
    instagram_channel, post_webhook
):
    post(post_webhook, "referral_ad")
    conversation = Conversation.objects.get()
    assert conversation.source == "meta_ad" and conversation.ad_id == "120210987654321099"
    activity = Message.objects.get(kind="activity")
    assert "120210987654321099" in activity.text


def test_an_ig_me_link_is_not_an_ad(instagram_channel, post_webhook):
    post(post_webhook, "referral_igme_link")
    conversation = Conversation.objects.get()
    assert conversation.source == "organic" and conversation.ad_id == ""
    assert "summer-sale" in Message.objects.get(kind="activity").text


# --- replies ------------------------------------------------------------------------------


@pytest.fixture
def conversation(instagram_channel, post_webhook):
    post(post_webhook, "message_text")
    conversation = Conversation.objects.get()
    conversation.last_customer_message_at = timezone.now() - timedelta(minutes=5)
    conversation.save()
    return conversation


def test_a_reply_reaches_the_fake_instagram_api(conversation, agent_a):
    message = message_send(conversation=conversation, text="Yes!", author_user=agent_a)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id.startswith("aWdf")
    (request,) = fake_requests("/messages")
    assert request["path"] == (
        f"/instagram/graph.instagram.com/v22.0/{INSTAGRAM_ACCOUNT_ID}/messages"
    )
    assert request["json"] == {
        "recipient": {"id": INSTAGRAM_CUSTOMER_ID},
        "message": {"text": "Yes!"},
    }


def test_a_page_flavour_channel_replies_as_its_page(conversation, instagram_channel):
    instagram_channel.credentials = {
        "flavour": "facebook_page",
        "access_token": f"EAA.{INSTAGRAM_PAGE_ID}.{INSTAGRAM_ACCOUNT_ID}.t",
        "page_id": INSTAGRAM_PAGE_ID,
    }
    instagram_channel.save()
    message = message_send(conversation=conversation, text="Yes!")
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "sent"
    (request,) = fake_requests("/messages")
    assert request["path"] == f"/instagram/v22.0/{INSTAGRAM_PAGE_ID}/messages"


def test_a_closed_window_error_fails_the_message_in_plain_words(conversation, fake):
    fake.inject("error", code="2534022", provider="instagram")
    message = message_send(conversation=conversation, text="Yes!")
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and message.error_code == "2534022"
    assert "reply window is closed" in message.error_message


def test_an_expired_token_marks_the_channel_for_reconnection(conversation, fake, instagram_channel):
    fake.inject("error", code="190", provider="instagram")
    message = message_send(conversation=conversation, text="Yes!")
    message_deliver(message_id=message.pk)
    instagram_channel.refresh_from_db()
    assert instagram_channel.status == Channel.Status.ERROR
    assert "reconnect" in instagram_channel.last_error


def test_a_rate_limit_is_retried(conversation, fake):
    fake.inject("error", code="613", provider="instagram")
    message = message_send(conversation=conversation, text="Yes!")
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "queued" and message.next_attempt_at is not None


def test_after_24_hours_only_a_human_agent_with_the_tag_may_reply(conversation, settings, agent_a):
    conversation.last_customer_message_at = timezone.now() - timedelta(days=2)
    conversation.save()
    settings.INSTAGRAM_HUMAN_AGENT_TAG = False
    with pytest.raises(ReplyWindowClosed):
        message_send(conversation=conversation, text="Still there?", author_user=agent_a)
    settings.INSTAGRAM_HUMAN_AGENT_TAG = True
    with pytest.raises(ReplyWindowClosed):
        message_send(conversation=conversation, text="Auto", author_kind="bot")
    message = message_send(conversation=conversation, text="Still there?", author_user=agent_a)
    message_deliver(message_id=message.pk)
    (request,) = fake_requests("/messages")
    assert request["json"]["tag"] == "HUMAN_AGENT"
    assert request["json"]["messaging_type"] == "MESSAGE_TAG"


def test_the_composer_shows_the_rule_before_typing(
    conversation, client_for, owner_a, tenant_a, settings
):
    settings.INSTAGRAM_HUMAN_AGENT_TAG = False
    conversation.last_customer_message_at = timezone.now() - timedelta(days=2)
    conversation.save()
    owner = client_for(owner_a)
    page = owner.get(f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", follow=True)
    assert "Instagram only allows replies within 24 hours" in page.content.decode()
    refused = owner.post(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/reply/", {"text": "hi", "mode": "reply"}
    )
    assert refused.status_code == 422
    assert not Message.objects.filter(direction="out").exists()


# --- connecting ---------------------------------------------------------------------------


def url(tenant, rest=""):
    return f"/t/{tenant.slug}/settings/channels/{rest}"


def test_connect_with_instagram_login_validates_and_encrypts(client_for, tenant_a, owner_a):
    token = f"IGAA.{INSTAGRAM_ACCOUNT_ID}.secret-user-token"
    response = client_for(owner_a).post(
        url(tenant_a, "instagram/"),
        {
            "flavour": "instagram_login",
            "account_id": INSTAGRAM_ACCOUNT_ID,
            "access_token": token,
            "simulator": "on",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.provider == "instagram" and channel.account_id == INSTAGRAM_ACCOUNT_ID
    assert channel.credentials == {"flavour": "instagram_login", "access_token": token}
    # a long-lived token: refreshed before its 60 days are up
    assert timedelta(days=59) < channel.token_expires_at - timezone.now() <= timedelta(days=60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inbox_channel WHERE id = %s", [channel.pk])
        (raw,) = cursor.fetchone()
    assert "secret-user-token" not in raw
    (request,) = fake_requests("/me")
    assert request["path"] == "/instagram/graph.instagram.com/v22.0/me"


def test_connect_through_a_page_checks_the_linked_account(client_for, tenant_a, owner_a):
    client = client_for(owner_a)
    data = {
        "flavour": "facebook_page",
        "account_id": INSTAGRAM_ACCOUNT_ID,
        "page_id": INSTAGRAM_PAGE_ID,
        "access_token": f"EAA.{INSTAGRAM_PAGE_ID}.17841400000000000.t",
        "simulator": "on",
    }
    refused = client.post(url(tenant_a, "instagram/"), data)
    assert "does not belong" in refused.content.decode()
    assert not Channel.objects.exists()
    data["access_token"] = f"EAA.{INSTAGRAM_PAGE_ID}.{INSTAGRAM_ACCOUNT_ID}.t"
    assert client.post(url(tenant_a, "instagram/"), data).status_code == 302
    channel = Channel.objects.get()
    assert channel.credentials["page_id"] == INSTAGRAM_PAGE_ID
    assert channel.token_expires_at is None  # Page tokens do not expire


def test_disconnect_forgets_the_token(client_for, tenant_a, owner_a, instagram_channel):
    response = client_for(owner_a).post(url(tenant_a, f"{instagram_channel.pk}/disconnect/"))
    assert response.status_code == 302
    instagram_channel.refresh_from_db()
    assert instagram_channel.status == Channel.Status.DISCONNECTED
    assert "access_token" not in instagram_channel.credentials


def test_the_thread_shows_reactions_unsent_messages_and_stories(
    instagram_channel, post_webhook, client_for, owner_a, tenant_a
):
    post(post_webhook, "message_text")
    post(post_webhook, "message_deleted")
    post(post_webhook, "message_echo")
    post(post_webhook, "reaction_react")
    post(post_webhook, "message_story_mention")
    conversation = Conversation.objects.get()
    page = client_for(owner_a).get(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/messages/", HTTP_HX_REQUEST="true"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "The customer unsent this message." in html
    assert "Hi! Is the linen dress" not in html
    assert "Reaction: \u2764\ufe0f" in html
    assert "Mentioned you in their story" in html
    assert 'href="https://lookaside.fbsbx.com/ig_messaging_cdn/' in html


def test_the_connect_page_offers_both_flavours_to_managers_only(
    client_for, tenant_a, owner_a, agent_a
):
    page = client_for(owner_a).get(url(tenant_a, "instagram/"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="instagram_login"' in html and 'value="facebook_page"' in html
    assert client_for(agent_a).get(url(tenant_a, "instagram/")).status_code == 403
    listing = client_for(owner_a).get(url(tenant_a)).content.decode()
    assert "/webhooks/instagram/" in listing


def test_the_refusal_is_stored_in_the_business_language(conversation, fake, tenant_a):
    tenant_a.default_language = "vi"
    tenant_a.save()
    fake.inject("error", code="2534022", provider="instagram")
    message = message_send(conversation=conversation, text="Dạ còn ạ")
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error_message.startswith("Instagram từ chối câu trả lời")


def test_simulate_inbound_sends_as_an_instagram_customer(
    instagram_channel, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate_inbound", channel=instagram_channel.pk, name="Ploy", text="สวัสดีค่ะ")
    message = Message.objects.get()
    assert message.text == "สวัสดีค่ะ" and message.channel == instagram_channel
    assert message.conversation.contact.name == "Ploy"  # from the fake profile API
    event = WebhookEvent.objects.get()
    assert event.provider == "instagram" and "X-Hub-Signature-256" in event.headers


# --- downstream: automation, the API's channel filter, CRM events -------------------------


def test_downstream_works_unchanged_for_instagram(
    instagram_channel, whatsapp_channel, post_webhook, client, tenant_a, webhook_events
):
    from inbox.automation import services as automation
    from tenants.services import api_key_create

    automation.rule_save(
        tenant=tenant_a,
        actor=None,
        data={
            "name": "Sizes",
            "reply_text": "Every size is listed on the product page.",
            "trigger": "keywords",
            "cooldown_minutes": 60,
        },
        keywords=["size"],
        keyword_mode="whole_word",
        accent_insensitive=False,
    )
    post(post_webhook, "message_referral_ad")  # no keyword: no auto-reply
    post_webhook("whatsapp", "message_text")
    post(post_webhook, "message_text")  # "… in size S?"
    bot = Message.objects.get(author_kind="bot")
    assert bot.channel == instagram_channel and bot.status == "sent"
    (sent,) = fake_requests(f"/{INSTAGRAM_ACCOUNT_ID}/messages")
    assert sent["json"]["message"]["text"] == "Every size is listed on the product page."
    created = [d for _t, kind, d in webhook_events if kind == "message.created"]
    assert {d["channel_id"] for d in created} == {instagram_channel.pk, whatsapp_channel.pk}
    assert bot.pk in {d["id"] for d in created}  # the auto-reply too

    raw = api_key_create(tenant=tenant_a, name="crm", read_only=True).raw_key
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = client.get(f"/api/v1/conversations/?channel={instagram_channel.pk}", **auth).json()
    assert {c["provider"] for c in listed["results"]} == {"instagram"}
    assert len(listed["results"]) == 1
    assert listed["results"][0]["source"] == "meta_ad"


def test_an_expiring_token_is_refreshed_before_a_send(conversation, instagram_channel):
    instagram_channel.token_expires_at = timezone.now() + timedelta(days=2)
    instagram_channel.save()
    old = instagram_channel.credentials["access_token"]
    message = message_send(conversation=conversation, text="Yes!")
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    instagram_channel.refresh_from_db()
    assert message.status == "sent"
    assert instagram_channel.credentials["access_token"] != old
    assert instagram_channel.token_expires_at > timezone.now() + timedelta(days=59)
    paths = [r["path"].rsplit("/", 1)[-1] for r in fake_requests("graph.instagram.com")]
    assert paths[-2:] == ["refresh_access_token", "messages"]


def test_the_periodic_refresh_asks_each_provider_when_a_token_is_due(instagram_channel):
    from inbox.services.channels import channels_refresh_expiring

    instagram_channel.token_expires_at = timezone.now() + timedelta(days=30)
    instagram_channel.save()
    assert channels_refresh_expiring() == 0
    instagram_channel.token_expires_at = timezone.now() + timedelta(days=5)
    instagram_channel.save()
    assert channels_refresh_expiring() == 1
    instagram_channel.refresh_from_db()
    assert instagram_channel.token_expires_at > timezone.now() + timedelta(days=59)
