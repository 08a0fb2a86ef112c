"""Keyset cursor pagination: every row once, also among equal timestamps, both directions."""

import pytest
from django.utils import timezone

from inbox.models import Conversation
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory

pytestmark = pytest.mark.django_db


def _walk(api, url, direction="next"):
    pages = []
    while url and len(pages) < 100:
        body = api.get(url.replace("http://testserver", "")).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[direction]
    return pages


def test_a_walk_over_equal_timestamps_sees_every_conversation_once(key_api, tenant_a):
    channel = ChannelFactory(tenant=tenant_a)
    same = timezone.now()
    ids = [
        ConversationFactory(tenant=tenant_a, channel=channel, last_message_at=same).pk
        for _ in range(11)
    ]
    Conversation.objects.filter(pk__in=ids).update(last_message_at=same)
    pages = _walk(key_api, "/api/v1/conversations/?page_size=4")
    assert [len(p) for p in pages] == [4, 4, 3]
    flat = [i for p in pages for i in p]
    assert flat == sorted(ids, reverse=True)


def test_previous_links_walk_back_to_the_start(key_api, tenant_a):
    ids = [ContactFactory(tenant=tenant_a).pk for _ in range(7)]
    first = key_api.get("/api/v1/contacts/?page_size=3").json()
    second = key_api.get(first["next"].replace("http://testserver", "")).json()
    third = key_api.get(second["next"].replace("http://testserver", "")).json()
    assert third["next"] is None
    back = key_api.get(third["previous"].replace("http://testserver", "")).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    start = key_api.get(back["previous"].replace("http://testserver", "")).json()
    assert [r["id"] for r in start["results"]] == sorted(ids, reverse=True)[:3]
    assert start["previous"] is None
    assert first["previous"] is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJkIjogIm4ifQ", "eyJkIjoibiIsInYiOlt0cnVlXX0"])
def test_a_bad_cursor_is_a_404(key_api, cursor):
    response = key_api.get("/api/v1/contacts/", {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
