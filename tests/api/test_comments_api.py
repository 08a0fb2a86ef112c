"""Comments through /api/v1/: listed, filtered, acted on (the same rules as the inbox's
buttons, 422 when refused), other tenants' comments invisible."""

import pytest

from inbox.models import Comment
from inbox.simulator.payloads import simulate_comment
from tests.channels.conftest import (  # noqa: F401
    _provider_settings,
    fake_requests,
    messenger_channel,
    tiktok_channel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def comments(messenger_channel, tiktok_channel, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        simulate_comment(channel=messenger_channel, post_id="5550001", name="Lan", text="giá?")
        simulate_comment(channel=tiktok_channel, post_id="7311", name="Somchai", text="ราคา?")
    return {c.channel.provider: c for c in Comment.objects.select_related("channel")}


def test_list_filter_and_read(comments, key_api):
    response = key_api.get("/api/v1/comments/")
    assert response.status_code == 200
    texts = sorted(c["text"] for c in response.json()["results"])
    assert texts == ["giá?", "ราคา?"]
    fb = comments["messenger"]
    one = key_api.get("/api/v1/comments/", post=fb.post_id).json()["results"]
    assert [c["provider_comment_id"] for c in one] == [fb.external_id]
    detail = key_api.get(f"/api/v1/comments/{fb.pk}/").json()
    assert detail["post"]["provider_post_id"] == fb.post.external_id
    assert detail["state"] == "visible" and detail["is_own"] is False
    posts = key_api.get("/api/v1/posts/").json()["results"]
    assert len(posts) == 2


def test_hide_reply_and_private_reply(comments, key_api):
    fb = comments["messenger"]
    assert key_api.post(f"/api/v1/comments/{fb.pk}/hide/").json()["state"] == "hidden"
    reply = key_api.post(f"/api/v1/comments/{fb.pk}/reply/", {"text": "Dạ 150k"})
    assert reply.status_code == 201 and reply.json()["is_own"] is True
    private = key_api.post(f"/api/v1/comments/{fb.pk}/private-reply/", {"text": "ib ạ"})
    assert private.status_code == 200 and private.json()["private_reply_conversation_id"]
    again = key_api.post(f"/api/v1/comments/{fb.pk}/private-reply/", {"text": "ib ạ"})
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "comment_action_refused"


def test_tiktok_refusals_are_422_and_nothing_is_called(comments, key_api):
    tt = comments["tiktok"]
    calls = len(fake_requests("/business/comment/reply/"))
    long = key_api.post(f"/api/v1/comments/{tt.pk}/reply/", {"text": "x" * 151})
    assert long.status_code == 422 and "150" in long.json()["error"]["message"]
    assert len(fake_requests("/business/comment/reply/")) == calls
    assert key_api.post(f"/api/v1/comments/{tt.pk}/delete/").status_code == 422


def test_a_read_only_key_cannot_act_and_another_tenant_sees_nothing(
    comments, ro_key_api, b_key_api
):
    fb = comments["messenger"]
    assert ro_key_api.post(f"/api/v1/comments/{fb.pk}/hide/").status_code == 403
    assert b_key_api.get(f"/api/v1/comments/{fb.pk}/").status_code == 404
    assert b_key_api.get("/api/v1/comments/").json()["results"] == []
