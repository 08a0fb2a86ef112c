"""A post's picture is shown in the thread, fetched server-side and served by Parley like an
attachment: the agent's browser never asks the provider's CDN (strict CSP, no third party)."""

import pytest

from inbox.models import Comment, Post
from inbox.services.http import SIMULATOR_HOST, SIMULATOR_PREFIX
from inbox.simulator.fakes.wire import PNG_1PX
from inbox.simulator.payloads import simulate_comment
from tests.channels.conftest import fake_requests

pytestmark = pytest.mark.django_db


def _comment(channel, capture, post_id, text="Giá sao shop?"):
    with capture(execute=True):
        simulate_comment(channel=channel, post_id=post_id, name="Lan Nguyen", text=text)
    return Comment.objects.select_related("post").get(is_own=False)


def _thread(client, comment) -> str:
    url = f"/t/tenant-a/inbox/c/{comment.conversation_id}/"
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.parametrize(
    ("which", "post_id"),
    [("messenger", "5550001"), ("instagram", "17890000000000001"), ("tiktok", "7311982046")],
)
def test_the_thread_shows_the_posts_picture_from_parley_only(
    all_channels, which, post_id, agent_a, client_for, django_capture_on_commit_callbacks
):
    comment = _comment(all_channels[which], django_capture_on_commit_callbacks, post_id)
    post = Post.objects.get(pk=comment.post_id)
    assert post.thumbnail_url.startswith(SIMULATOR_HOST)  # the provider's CDN address
    assert post.thumbnail  # fetched server-side right after the post's details
    client = client_for(agent_a)
    page = _thread(client, comment)
    src = f"/t/tenant-a/posts/{post.pk}/thumbnail/"
    assert f'<img class="post-thumb" src="{src}"' in page
    assert post.thumbnail_url not in page and SIMULATOR_HOST not in page
    response = client.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG_1PX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_picture_not_fetched_yet_is_fetched_when_the_thread_asks(
    messenger_channel, agent_a, client_for, django_capture_on_commit_callbacks
):
    comment = _comment(messenger_channel, django_capture_on_commit_callbacks, "5550001")
    post = Post.objects.get(pk=comment.post_id)
    post.thumbnail.delete(save=True)  # e.g. the CDN was down when the post arrived
    cdn_calls = len(fake_requests("/cdn/"))
    response = client_for(agent_a).get(f"/t/tenant-a/posts/{post.pk}/thumbnail/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert len(fake_requests("/cdn/")) == cdn_calls + 1
    post.refresh_from_db()
    assert post.thumbnail and post.thumbnail_mime_type == "image/png"


def test_something_that_is_not_an_image_is_never_served(
    tiktok_channel, agent_a, client_for, django_capture_on_commit_callbacks
):
    comment = _comment(tiktok_channel, django_capture_on_commit_callbacks, "7311982046")
    post = Post.objects.get(pk=comment.post_id)
    post.thumbnail.delete(save=False)
    # an address that answers JSON (HTTP 200), not a picture
    post.thumbnail_url = (
        f"{SIMULATOR_HOST}{SIMULATOR_PREFIX}/tiktok/open_api/v1.3/business/video/list/"
    )
    post.save()
    response = client_for(agent_a).get(f"/t/tenant-a/posts/{post.pk}/thumbnail/")
    assert response.status_code == 502 and response["Content-Type"].startswith("text/plain")
    post.refresh_from_db()
    assert not post.thumbnail


def test_an_agent_who_sees_none_of_its_conversations_cannot_get_the_picture(
    tenant_a, messenger_channel, agent_a, admin_a, client_for, django_capture_on_commit_callbacks
):
    comment = _comment(messenger_channel, django_capture_on_commit_callbacks, "5550001")
    comment.conversation.assignee = admin_a
    comment.conversation.save()
    tenant_a.agents_see_all = False
    tenant_a.save()
    url = f"/t/tenant-a/posts/{comment.post_id}/thumbnail/"
    assert client_for(agent_a).get(url).status_code == 404
    assert client_for(admin_a).get(url).status_code == 200
