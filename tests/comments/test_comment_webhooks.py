"""Comments through the real webhook view, signed: stored once, in any order."""

import pytest

from inbox.models import Comment, Conversation, Message, Post, WebhookEvent
from inbox.simulator.fakes import tiktok_comments
from inbox.simulator.store import DatabaseStore
from tests.providers.helpers import (
    FACEBOOK_COMMENT_ID,
    FACEBOOK_COMMENTER_ID,
    FACEBOOK_POST_ID,
    TIKTOK_BUSINESS_ID,
    TIKTOK_COMMENT_ID,
    TIKTOK_VIDEO_ID,
    load_recent,
)

pytestmark = pytest.mark.django_db


def _visible_comment_messages():
    return list(Message.objects.filter(kind="comment").exclude(text=""))


def test_a_facebook_comment_lands_in_a_comments_conversation_of_its_author_and_post(
    messenger_channel, post_webhook
):
    assert post_webhook("messenger", "feed_comment_add").status_code == 200
    comment = Comment.objects.get()
    assert comment.external_id == FACEBOOK_COMMENT_ID
    assert comment.author_external_id == FACEBOOK_COMMENTER_ID
    assert comment.author_name == "Nguyễn Thị Lan"
    assert not comment.is_own and comment.state == "visible"
    assert comment.post.external_id == FACEBOOK_POST_ID
    assert comment.post.permalink.startswith("https://www.facebook.com/")
    conversation = comment.conversation
    assert conversation.kind == "comments" and conversation.post == comment.post
    assert conversation.contact.name == "Nguyễn Thị Lan"
    message = comment.message
    assert message.kind == "comment" and message.direction == "in"
    assert message.text == "Giá bao nhiêu vậy shop? 0912.345.678"
    assert conversation.last_message_preview == message.text


def test_a_redelivered_comment_is_stored_once(messenger_channel, post_webhook):
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_add")
    assert Comment.objects.count() == 1 and Message.objects.filter(kind="comment").count() == 1


def test_a_redelivery_in_another_batch_is_still_one_comment(messenger_channel, post_webhook):
    payload = load_recent("messenger", "feed_comment_add")
    post_webhook("messenger", payload)
    payload["entry"][0]["time"] += 1  # a different body: the comment id is the guard
    post_webhook("messenger", payload)
    assert WebhookEvent.objects.count() == 2
    assert Comment.objects.count() == 1 and Message.objects.filter(kind="comment").count() == 1


def test_edit_hide_unhide_and_delete_update_the_one_comment(messenger_channel, post_webhook):
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_edited")
    comment = Comment.objects.get()
    assert comment.text == "Giá bao nhiêu vậy shop? (đã sửa)" and comment.edited_at
    assert comment.message.text == comment.text
    post_webhook("messenger", "feed_comment_hide")
    assert Comment.objects.get().state == "hidden"
    post_webhook("messenger", "feed_comment_unhide")
    assert Comment.objects.get().state == "visible"
    post_webhook("messenger", "feed_comment_remove")
    comment = Comment.objects.get()
    assert comment.state == "deleted" and comment.text == ""
    assert _visible_comment_messages() == []


def test_a_late_hide_older_than_the_unhide_changes_nothing(messenger_channel, post_webhook):
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_unhide")
    post_webhook("messenger", "feed_comment_hide")  # happened before the unhide
    assert Comment.objects.get().state == "visible"


def test_a_delete_that_arrives_before_the_create_leaves_nothing_visible(
    messenger_channel, post_webhook
):
    post_webhook("messenger", "feed_comment_remove")
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_edited")
    comment = Comment.objects.get()
    assert comment.state == "deleted"
    assert _visible_comment_messages() == []
    assert not Conversation.objects.filter(kind="comments").exists()


def test_the_pages_own_reply_is_recognised_and_answers_the_comment(messenger_channel, post_webhook):
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_page_reply")
    own = Comment.objects.get(is_own=True)
    parent = Comment.objects.get(is_own=False)
    assert own.parent == parent and parent.conversation_id == own.conversation_id
    assert own.message.direction == "out" and own.message.author_kind == "agent"
    assert Comment.objects.get(pk=parent.pk).answered
    # Not a customer: no contact, no conversation of its own.
    assert Conversation.objects.filter(kind="comments").count() == 1


def test_a_reply_by_another_customer_opens_that_customers_conversation(
    messenger_channel, post_webhook
):
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_reply")
    reply = Comment.objects.get(author_name="สมชาย ใจดี")
    assert reply.parent.external_id == FACEBOOK_COMMENT_ID and reply.is_reply
    assert Conversation.objects.filter(kind="comments").count() == 2


def test_comments_never_join_the_customers_direct_messages(messenger_channel, post_webhook):
    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "message_text")
    kinds = sorted(Conversation.objects.values_list("kind", flat=True))
    assert kinds == ["comments", "messages"]


# --- TikTok ---------------------------------------------------------------------------------


def _tiktok_comment_in_the_fake(text="Giá bao nhiêu vậy shop? 0912 345 678", **kw):
    store = DatabaseStore()
    tiktok_comments.put_video(
        store, business_id=TIKTOK_BUSINESS_ID, video_id=TIKTOK_VIDEO_ID, caption="Áo thun mới"
    )
    comment = tiktok_comments.put_comment(
        store,
        video_id=TIKTOK_VIDEO_ID,
        user_id="-000cUsTmr7Lina00042",
        name="lina",
        text=text,
        **kw,
    )
    # The fixture's comment id, so the webhook fixture names this comment.
    data = store.get_object("tiktok", "comment", comment["comment_id"])
    from inbox.simulator.models import SimulatorObject

    SimulatorObject.objects.filter(external_id=comment["comment_id"]).delete()
    data["comment_id"] = kw.pop("comment_id", TIKTOK_COMMENT_ID)
    store.put_object("tiktok", "comment", data["comment_id"], data, parent_id=TIKTOK_VIDEO_ID)
    return data


def test_a_tiktok_comment_is_read_back_through_the_list_api(tiktok_channel, post_webhook):
    _tiktok_comment_in_the_fake()
    assert post_webhook("tiktok", "comment_update_insert").status_code == 200
    comment = Comment.objects.get()
    assert comment.external_id == TIKTOK_COMMENT_ID
    assert comment.author_name == "lina" and comment.text.startswith("Giá bao nhiêu")
    assert comment.conversation.kind == "comments"
    post = Post.objects.get()
    assert post.external_id == TIKTOK_VIDEO_ID
    assert post.caption == "Áo thun mới" and post.permalink.startswith("https://www.tiktok.com/")


def test_tiktok_redelivery_hide_public_and_delete(tiktok_channel, post_webhook):
    _tiktok_comment_in_the_fake()
    post_webhook("tiktok", "comment_update_insert")
    post_webhook("tiktok", "comment_update_insert")
    assert Comment.objects.count() == 1
    post_webhook("tiktok", "comment_update_hidden")
    assert Comment.objects.get().state == "hidden"
    post_webhook("tiktok", "comment_update_public")
    assert Comment.objects.get().state == "visible"
    post_webhook("tiktok", "comment_update_delete")
    assert Comment.objects.get().state == "deleted"
    assert _visible_comment_messages() == []


def test_a_tiktok_delete_before_the_insert_leaves_nothing_visible(tiktok_channel, post_webhook):
    _tiktok_comment_in_the_fake()
    post_webhook("tiktok", "comment_update_delete")
    post_webhook("tiktok", "comment_update_insert")
    assert Comment.objects.get().state == "deleted"
    assert _visible_comment_messages() == []


def test_a_tiktok_hide_before_the_insert_keeps_it_hidden(tiktok_channel, post_webhook):
    _tiktok_comment_in_the_fake()
    post_webhook("tiktok", "comment_update_hidden")
    post_webhook("tiktok", "comment_update_insert")
    comment = Comment.objects.get()
    assert comment.state == "hidden" and comment.message is not None


def test_crm_events_comment_created_and_updated_have_the_documented_shape(
    messenger_channel, post_webhook, webhook_events
):
    from tests.channels.test_webhook_payloads import documented_shapes

    post_webhook("messenger", "feed_comment_add")
    post_webhook("messenger", "feed_comment_hide")
    events = [(t, d) for _tenant, t, d in webhook_events if t.startswith("comment.")]
    assert [t for t, _d in events] == ["comment.created", "comment.updated"]
    shapes = documented_shapes()
    for event_type, data in events:
        assert set(data) == shapes[event_type], event_type
    assert events[1][1]["state"] == "hidden"


def test_the_demo_seeds_posts_with_vietnamese_and_thai_comments(
    tenant_a, django_capture_on_commit_callbacks
):
    from inbox.demo import seed_channels
    from inbox.demo_comments import seed_comments
    from inbox.phone_detect import contains_phone

    with django_capture_on_commit_callbacks(execute=True):
        seed_channels(tenant_a)
        seed_comments(tenant_a)
    comments = list(Comment.objects.filter(tenant=tenant_a, placeholder=False))
    assert len(comments) == 16
    assert {c.post.channel.provider for c in comments} == {"tiktok", "messenger", "instagram"}
    assert sum(contains_phone(c.text) for c in comments) == 5
    assert any("ราคา" in c.text for c in comments) and any("Giá" in c.text for c in comments)
    assert all(p.caption for p in Post.objects.filter(tenant=tenant_a))
    instagram = [c for c in comments if c.post.channel.provider == "instagram"]
    assert len({c.post_id for c in instagram}) == 2 and len(instagram) == 6
    # Vietnamese and Thai on Instagram too, phone numbers among them
    assert any("giá" in c.text for c in instagram) and any("ไซส์" in c.text for c in instagram)
    assert sum(contains_phone(c.text) for c in instagram) == 2
    assert all(c.conversation_id for c in instagram)
