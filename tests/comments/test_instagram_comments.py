"""Instagram comments (`comments`, `live_comments`) through the real webhook view, signed,
and acted on against the fake Instagram API: no reply to a hidden comment nor to a live
comment, a reply to a reply attached to its top-level comment, one private reply per comment
opening a DM attributed to the ad the comment was on."""

import pytest

from inbox.models import Comment, Conversation
from inbox.services.comments import (
    CommentActionRefused,
    comment_reply_private,
    comment_reply_public,
    comment_set_hidden,
)
from tests.channels.conftest import fake_requests
from tests.providers.helpers import INSTAGRAM_ACCOUNT_ID, INSTAGRAM_CUSTOMER_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(instagram_channel, post_webhook):
    """The fixtures' comments, also known to the fake Instagram (so calls about them work)."""
    from inbox.simulator.fakes import graph_comments
    from inbox.simulator.store import DatabaseStore

    store = DatabaseStore()
    for media in ("17895695668004550", "17895695668009999", "17895695668008888"):
        graph_comments.put_post(
            store, page_id=INSTAGRAM_ACCOUNT_ID, post_id=media, caption="Áo", api="instagram"
        )

    def known(comment_id, media, author, parent="", created=None):
        data = {
            "id": comment_id,
            "post_id": media,
            "parent_id": parent or media,
            "from": {"id": author, "name": author},
            "psid": author,
            "message": "…",
            "created_time": created or 2_000_000_000,
            "is_hidden": False,
            "private_replied": False,
        }
        store.put_object("instagram", "comment", comment_id, data, parent_id=media)

    import time

    now = int(time.time())
    known("17865799348089039", "17895695668004550", INSTAGRAM_CUSTOMER_ID, created=now)
    known("17865799348089555", "17895695668004550", "1307142680341111", "17865799348089039", now)
    known("17865799348089888", "17895695668009999", "1307142680342222", created=now)
    known("17865799348089666", "17895695668008888", "1307142680343333", created=now)
    return instagram_channel


def test_instagram_comments_are_stored_and_the_accounts_own_recognised(world, post_webhook):
    for name in ("comments_add", "comments_reply", "comments_own_reply", "comments_add"):
        assert post_webhook("instagram", name).status_code == 200
    assert Comment.objects.count() == 3
    own = Comment.objects.get(is_own=True)
    first = Comment.objects.get(external_id="17865799348089039")
    assert own.parent == first and Comment.objects.get(pk=first.pk).answered
    assert first.conversation.kind == "comments" and first.author_name == "lan.nguyen"
    assert Conversation.objects.filter(kind="comments").count() == 2
    post = first.post
    assert post.caption == "Áo" and post.permalink.startswith("https://www.instagram.com/")


def test_no_reply_to_a_hidden_comment_until_it_is_shown_again(world, post_webhook, agent_a):
    post_webhook("instagram", "comments_add")
    comment = Comment.objects.get(external_id="17865799348089039")
    comment_set_hidden(comment=comment, hidden=True, actor=agent_a)
    assert fake_requests(f"/{comment.external_id}")[-1]["json"] == {"hide": True}
    calls = len(fake_requests("/replies"))
    with pytest.raises(CommentActionRefused, match="hidden"):
        comment_reply_public(comment=Comment.objects.get(pk=comment.pk), text="Dạ 150k")
    assert len(fake_requests("/replies")) == calls
    comment_set_hidden(comment=Comment.objects.get(pk=comment.pk), hidden=False, actor=agent_a)
    reply = comment_reply_public(comment=Comment.objects.get(pk=comment.pk), text="Dạ 150k")
    assert reply.is_own and fake_requests(f"/{comment.external_id}/replies")


def test_a_reply_to_a_reply_is_attached_to_the_top_level_comment(world, post_webhook):
    post_webhook("instagram", "comments_add")
    post_webhook("instagram", "comments_reply")
    reply_to = Comment.objects.get(external_id="17865799348089555")
    comment_reply_public(comment=reply_to, text="ครับ 290 บาท")
    (call,) = fake_requests("/replies")
    assert call["path"].endswith("/17865799348089039/replies")


def test_a_live_comment_gets_no_public_reply_but_a_private_one(world, post_webhook):
    post_webhook("instagram", "live_comments")
    comment = Comment.objects.get()
    assert comment.is_live
    with pytest.raises(CommentActionRefused, match="live"):
        comment_reply_public(comment=comment, text="ok")
    dm = comment_reply_private(comment=comment, text="สวัสดีค่ะ")
    assert dm.kind == "messages" and dm.channel == world


def test_a_private_reply_to_a_comment_on_an_ad_is_attributed_to_the_ad(world, post_webhook):
    post_webhook("instagram", "comments_on_ad")
    comment = Comment.objects.get()
    assert comment.post.ad_id == "120210000000000001"
    dm = comment_reply_private(comment=comment, text="Chào bạn, giá 199k ạ")
    (call,) = [r for r in fake_requests("/messages") if "comment_id" in r["body"]]
    assert call["json"]["recipient"] == {"comment_id": comment.external_id}
    assert dm.source == "meta_ad" and dm.ad_id == "120210000000000001"
    assert dm.attribution["source"] == "comment"
    with pytest.raises(CommentActionRefused, match="one per comment"):
        comment_reply_private(comment=Comment.objects.get(pk=comment.pk), text="again")
