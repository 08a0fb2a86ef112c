"""Facebook and Instagram comments read back through the Graph comment list
(``GET /{post-id}/comments``, ``/{media-id}/comments``) with cursor paging: the backfill of a
new post and the catch-up after downtime, as TikTok's — stored once, replies under their
parent, hidden ones hidden, the shop's own recognised."""

import time
from urllib.parse import parse_qs

import pytest

from inbox.models import Comment, Message
from inbox.providers.instagram import COMMENTS as INSTAGRAM
from inbox.providers.meta_comments import FACEBOOK
from inbox.services.comment_fetch import comments_catch_up
from inbox.simulator.fakes import graph_comments
from inbox.simulator.payloads import simulate_comment
from inbox.simulator.store import DatabaseStore
from inbox.tasks import comments_catch_up_task
from tests.channels.conftest import fake_requests

pytestmark = pytest.mark.django_db


def _downtime_comments(channel, post_id, n, *, api="graph"):
    """Comments made on the provider while Parley heard nothing (no webhook)."""
    store = DatabaseStore()
    start = int(time.time()) - 3600
    made = []
    for i in range(n):
        made.append(
            graph_comments.put_comment(
                store,
                post_id=post_id,
                author_id=f"90000000000{i:04d}",
                author_name=f"Khách {i}",
                psid=f"70000000000{i:04d}",
                text=f"bình luận số {i}",
                created=start + i,
                api=api,
            )
        )
    return made


def _query(request) -> dict:
    query = request["query"]
    if isinstance(query, str):
        return {k: v[0] for k, v in parse_qs(query).items()}
    return {k: v[0] if isinstance(v, list) else v for k, v in query.items()}


def test_facebook_catch_up_reads_every_page_of_a_posts_comments(
    messenger_channel, django_capture_on_commit_callbacks
):
    post_id = f"{messenger_channel.account_id}_5550001"
    with django_capture_on_commit_callbacks(execute=True):
        simulate_comment(channel=messenger_channel, post_id=post_id, name="Lan", text="giá?")
    store = DatabaseStore()
    missed = _downtime_comments(messenger_channel, post_id, 60)
    reply = graph_comments.put_comment(
        store,
        post_id=post_id,
        author_id="900000000009999",
        author_name="Minh",
        psid="700000000009999",
        text="mình cũng hỏi giá",
        parent_id=missed[0]["id"],
    )
    hidden = missed[1]
    hidden["is_hidden"] = True
    store.put_object("graph", "comment", hidden["id"], hidden, parent_id=post_id)
    calls = len(fake_requests(f"/{post_id}/comments"))
    with django_capture_on_commit_callbacks(execute=True):
        assert comments_catch_up(channel=messenger_channel) == 62  # 60 + reply + the first
    pages = fake_requests(f"/{post_id}/comments")[calls:]
    assert [p["method"] for p in pages] == ["GET", "GET"]  # 62 comments, 50 a page
    first, second = (_query(p) for p in pages)
    assert first["filter"] == "stream" and first["order"] == "chronological"
    assert "after" not in first and second["after"]
    stored = Comment.objects.filter(channel=messenger_channel, is_own=False)
    assert stored.count() == 62
    kept_reply = Comment.objects.get(external_id=reply["id"])
    assert kept_reply.parent.external_id == missed[0]["id"] and kept_reply.author_name == "Minh"
    assert Comment.objects.get(external_id=hidden["id"]).state == "hidden"
    # each comment is in the inbox, once: a second catch-up changes nothing
    messages = Message.objects.filter(kind="comment").count()
    with django_capture_on_commit_callbacks(execute=True):
        comments_catch_up(channel=messenger_channel)
    assert Comment.objects.filter(channel=messenger_channel).count() == 62
    assert Message.objects.filter(kind="comment").count() == messages == 62


def test_a_new_instagram_post_is_backfilled_with_replies_and_the_accounts_own(
    instagram_channel, django_capture_on_commit_callbacks
):
    media = "17890000000000777"
    store = DatabaseStore()
    graph_comments.put_post(
        store, page_id=instagram_channel.account_id, post_id=media, api="instagram"
    )
    earlier = _downtime_comments(instagram_channel, media, 3, api="instagram")
    own = graph_comments.put_comment(
        store,
        post_id=media,
        author_id=instagram_channel.account_id,
        author_name="shop",
        psid="",
        text="Dạ shop inbox ạ",
        parent_id=earlier[0]["id"],
        api="instagram",
    )
    # the first comment Parley hears of: the post is new, its earlier comments are read back
    with django_capture_on_commit_callbacks(execute=True):
        simulate_comment(channel=instagram_channel, post_id=media, name="Lan", text="giá?")
    (listing,) = fake_requests(f"/{media}/comments")
    assert "replies{" in _query(listing)["fields"]
    comments = Comment.objects.filter(channel=instagram_channel)
    assert comments.count() == 5
    kept_own = comments.get(external_id=own["id"])
    assert kept_own.is_own and kept_own.parent.external_id == earlier[0]["id"]
    assert comments.get(external_id=earlier[2]["id"]).author_name == "khách_2"
    assert comments.get(external_id=earlier[0]["id"]).answered  # the shop's reply counts


def test_the_catch_up_task_covers_facebook_and_instagram(
    messenger_channel, instagram_channel, django_capture_on_commit_callbacks
):
    post_id = f"{messenger_channel.account_id}_5550002"
    media = "17890000000000888"
    with django_capture_on_commit_callbacks(execute=True):
        simulate_comment(channel=messenger_channel, post_id=post_id, name="Lan", text="a")
        simulate_comment(channel=instagram_channel, post_id=media, name="Som", text="b")
    _downtime_comments(messenger_channel, post_id, 2)
    _downtime_comments(instagram_channel, media, 2, api="instagram")
    with django_capture_on_commit_callbacks(execute=True):
        comments_catch_up_task()
    assert Comment.objects.filter(channel=messenger_channel).count() == 3
    assert Comment.objects.filter(channel=instagram_channel).count() == 3


def test_the_graph_list_wire_format_with_paging_is_parsed():
    """Meta's documented shapes: Facebook ``filter=stream`` (flat, ``parent``), Instagram
    (top-level, ``replies`` nested), ``paging.next`` only while more remain."""
    facebook_page = {
        "data": [
            {
                "id": "5550001_1001",
                "message": "Giá sao shop?",
                "from": {"id": "9001", "name": "Lan"},
                "created_time": "2026-06-15T08:30:00+0000",
                "is_hidden": False,
            },
            {
                "id": "5550001_1002",
                "message": "Dạ 150k ạ",
                "from": {"id": "104857362918273", "name": "Shop"},
                "created_time": "2026-06-15T08:31:00+0000",
                "parent": {"id": "5550001_1001"},
                "is_hidden": False,
            },
        ],
        "paging": {"cursors": {"before": "QVFI", "after": "QVFIUm"}},
    }
    events = FACEBOOK._list_events("104857362918273", "104857362918273_5550001", facebook_page)
    assert [e.parent_id for e in events] == ["", "5550001_1001"]
    assert [e.is_own for e in events] == [False, True]
    assert events[0].timestamp.isoformat() == "2026-06-15T08:30:00+00:00"
    instagram_page = {
        "data": [
            {
                "timestamp": "2017-08-31T18:10:30+0000",
                "text": "I love this!",
                "id": "17873440459141021",
                "username": "lan.nguyen",
                "from": {"id": "1307142680340000", "username": "lan.nguyen"},
                "hidden": True,
                "replies": {
                    "data": [
                        {
                            "timestamp": "2017-08-31T19:16:02+0000",
                            "text": "Thanks!",
                            "id": "17870913679156914",
                            "from": {"id": "17841400000000000", "username": "shop"},
                        }
                    ]
                },
            }
        ]
    }
    events = INSTAGRAM._list_events("17841400000000000", "17895695668004550", instagram_page)
    assert [e.comment_id for e in events] == ["17873440459141021", "17870913679156914"]
    assert events[0].hidden and events[0].author_name == "lan.nguyen"
    assert events[1].parent_id == "17873440459141021" and events[1].is_own
