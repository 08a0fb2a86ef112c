"""Acting on comments against the fake providers (their real wire format), through the
inbox's buttons: public and private reply, hide/unhide, delete, like — and each refusal,
explained before any call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Comment, Conversation, Message
from inbox.services.comments import CommentActionRefused, comment_reply_private
from inbox.simulator.payloads import simulate_comment, simulate_inbound
from tests.channels.conftest import fake_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def fb_comment(messenger_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        simulate_comment(
            channel=messenger_channel, post_id="5550001", name="Lan Nguyen", text="Giá sao shop?"
        )
    return Comment.objects.get()


@pytest.fixture
def tt_comment(tiktok_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        simulate_comment(
            channel=tiktok_channel, post_id="7311982046123456789", name="Somchai", text="ราคา?"
        )
    return Comment.objects.get()


def _act(client, comment, action, text="", capture=None):
    url = f"/t/tenant-a/inbox/c/{comment.conversation_id}/comments/{comment.pk}/{action}/"
    return client.post(url, {"text": text}, HTTP_HX_REQUEST="true")


def test_a_public_reply_is_threaded_under_the_comment_on_facebook(fb_comment, agent_a, client_for):
    response = _act(client_for(agent_a), fb_comment, "reply", "Dạ 150k ạ")
    assert response.status_code == 200
    (call,) = fake_requests(f"/{fb_comment.external_id}/comments")
    assert call["method"] == "POST" and call["json"] == {"message": "Dạ 150k ạ"}
    reply = Comment.objects.get(is_own=True)
    assert reply.parent == fb_comment and reply.conversation_id == fb_comment.conversation_id
    assert reply.message.direction == "out" and reply.message.author_user == agent_a
    assert Comment.objects.get(pk=fb_comment.pk).answered
    assert "Dạ 150k ạ" in response.content.decode()


def test_tiktok_refuses_a_reply_over_150_characters_before_calling(tt_comment, agent_a, client_for):
    calls = len(fake_requests("/business/comment/"))
    response = _act(client_for(agent_a), tt_comment, "reply", "x" * 151)
    assert response.status_code == 422
    assert "150" in response.content.decode()
    assert len(fake_requests("/business/comment/")) == calls
    assert not Comment.objects.filter(is_own=True).exists()


def test_a_tiktok_reply_hide_unhide_and_like(tt_comment, agent_a, client_for):
    client = client_for(agent_a)
    assert _act(client, tt_comment, "reply", "Dạ 150k ạ").status_code == 200
    (call,) = fake_requests("/business/comment/reply/create/")
    assert call["json"]["comment_id"] == tt_comment.external_id
    assert call["json"]["video_id"] == "7311982046123456789"
    assert _act(client, tt_comment, "hide").status_code == 200
    assert Comment.objects.get(pk=tt_comment.pk).state == "hidden"
    assert fake_requests("/business/comment/hide/")[-1]["json"]["action"] == "HIDE"
    assert _act(client, tt_comment, "unhide").status_code == 200
    assert Comment.objects.get(pk=tt_comment.pk).state == "visible"
    assert _act(client, tt_comment, "like").status_code == 200
    assert Comment.objects.get(pk=tt_comment.pk).liked
    activity = list(
        Message.objects.filter(conversation=tt_comment.conversation, kind="activity")
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert len(activity) == 3 and "hidden" in activity[0].lower()


def test_tiktok_refuses_a_private_reply_and_deleting_a_customers_comment(
    tt_comment, agent_a, client_for
):
    client = client_for(agent_a)
    response = _act(client, tt_comment, "private_reply", "inbox nhé")
    assert response.status_code == 422 and "TikTok" in response.content.decode()
    response = _act(client, tt_comment, "delete")
    assert response.status_code == 422  # TikTok deletes only the account's own comments
    assert Comment.objects.get(pk=tt_comment.pk).state == "visible"


def test_facebook_hide_and_delete(fb_comment, agent_a, client_for):
    client = client_for(agent_a)
    assert _act(client, fb_comment, "hide").status_code == 200
    assert fake_requests(f"/{fb_comment.external_id}")[-1]["json"] == {"is_hidden": True}
    assert _act(client, fb_comment, "hide").status_code == 422  # already hidden
    assert _act(client, fb_comment, "delete").status_code == 200
    comment = Comment.objects.get(pk=fb_comment.pk)
    assert comment.state == "deleted" and comment.message.text == ""
    assert fake_requests(f"/{fb_comment.external_id}")[-1]["method"] == "DELETE"


def test_a_private_reply_opens_a_dm_linked_to_the_comment_and_the_customer_continues_there(
    fb_comment, messenger_channel, agent_a, client_for, django_capture_on_commit_callbacks
):
    response = _act(client_for(agent_a), fb_comment, "private_reply", "Chào bạn, áo 150k ạ")
    assert response.status_code == 200
    (call,) = [r for r in fake_requests("/messages") if "comment_id" in r["body"]]
    assert call["json"]["recipient"] == {"comment_id": fb_comment.external_id}
    comment = Comment.objects.get(pk=fb_comment.pk)
    dm = comment.private_reply_conversation
    assert dm.kind == "messages" and dm.contact_id == comment.contact_id
    assert dm.attribution["comment_id"] == comment.external_id
    assert dm.attribution["post_id"] == comment.post.external_id
    (sent,) = dm.messages.all()
    assert sent.text == "Chào bạn, áo 150k ạ" and sent.status == "sent"
    # The customer answers in Messenger: the same conversation, the same contact.
    with django_capture_on_commit_callbacks(execute=True):
        simulate_inbound(channel=messenger_channel, name="Lan Nguyen", text="Cho mình size M")
    assert Conversation.objects.filter(kind="messages").count() == 1
    assert dm.messages.filter(direction="in").get().text == "Cho mình size M"


def test_only_one_private_reply_per_comment(fb_comment, agent_a, client_for):
    client = client_for(agent_a)
    assert _act(client, fb_comment, "private_reply", "một").status_code == 200
    response = _act(client, fb_comment, "private_reply", "hai")
    assert response.status_code == 422
    assert "one per comment" in response.content.decode()
    assert len([r for r in fake_requests("/messages") if "comment_id" in r["body"]]) == 1


def test_the_provider_refusing_a_second_private_reply_is_explained(fb_comment, agent_a):
    comment_reply_private(comment=fb_comment, text="một", actor=agent_a)
    Comment.objects.filter(pk=fb_comment.pk).update(private_reply_at=None)  # Parley forgot
    with pytest.raises(CommentActionRefused, match="one per comment"):
        comment_reply_private(comment=Comment.objects.get(pk=fb_comment.pk), text="hai")
    assert Comment.objects.get(pk=fb_comment.pk).private_reply_at is not None


def test_a_private_reply_after_seven_days_is_refused_before_calling(fb_comment, agent_a):
    later = fb_comment.commented_at + timedelta(days=7, minutes=1)
    with pytest.raises(CommentActionRefused, match="7 days"):
        comment_reply_private(comment=fb_comment, text="hi", actor=agent_a, now=later)
    assert not [r for r in fake_requests("/messages") if "comment_id" in r["body"]]


def test_the_fake_refuses_a_private_reply_after_seven_days(fb_comment, agent_a):
    """Parley's clock and the provider's disagree: the provider's refusal is explained."""
    from inbox.simulator.store import DatabaseStore

    store = DatabaseStore()
    data = store.get_object("graph", "comment", fb_comment.external_id)
    data["created_time"] -= 8 * 24 * 3600
    store.put_object("graph", "comment", fb_comment.external_id, data, data["post_id"])
    with pytest.raises(CommentActionRefused, match="7 days"):
        comment_reply_private(comment=fb_comment, text="hi", now=timezone.now())
    assert Comment.objects.get(pk=fb_comment.pk).private_reply_at is None


def test_a_viewer_cannot_act_on_a_comment(fb_comment, viewer_a, client_for):
    assert _act(client_for(viewer_a), fb_comment, "hide").status_code == 403
    assert Comment.objects.get(pk=fb_comment.pk).state == "visible"


def test_the_comments_filter_and_the_post_card(fb_comment, agent_a, client_for):
    client = client_for(agent_a)
    page = client.get("/t/tenant-a/inbox/?kind=comments").content.decode()
    assert "Giá sao shop?" in page
    assert "Giá sao shop?" not in client.get("/t/tenant-a/inbox/?kind=messages").content.decode()
    thread = client.get(
        f"/t/tenant-a/inbox/c/{fb_comment.conversation_id}/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Open the post" in thread and "Reply privately" in thread
    unanswered = client.get("/t/tenant-a/inbox/?unanswered=1").content.decode()
    assert "Giá sao shop?" in unanswered
    _act(client, fb_comment, "reply", "Dạ")
    assert "Giá sao shop?" not in client.get("/t/tenant-a/inbox/?unanswered=1").content.decode()


def test_the_simulator_page_posts_a_comment_as_a_customer(
    messenger_channel, owner_a, client_for, django_capture_on_commit_callbacks, settings
):
    settings.SIMULATOR_ENABLED = True
    client = client_for(owner_a)
    page = client.get("/t/tenant-a/simulator/").content.decode()
    assert "Comment as the customer" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/t/tenant-a/simulator/",
            {
                "cm-channel": messenger_channel.pk,
                "cm-post_id": "5550009",
                "cm-name": "Hạnh",
                "cm-text": "còn hàng không shop?",
            },
        )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.text == "còn hàng không shop?" and comment.author_name == "Hạnh"
