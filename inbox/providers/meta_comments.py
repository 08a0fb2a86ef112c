"""Comments on Meta: Facebook Page posts (the ``feed`` webhook field) and their Graph calls.

Wire formats: ``/work/shared/providers.md`` (Comments, a). The calls Facebook shares with
Instagram (reply, hide, delete, private reply, the post, the comment list) are in
``_graph_comments.GraphComments``; here is what is Facebook's own: the ``feed`` webhook, the
``like``, the fields read.
"""

from __future__ import annotations

from typing import Any

from . import _meta
from ._graph_comments import GraphComments, graph_time
from .base import (
    CommentEvent,
    PayloadError,
    PostInfo,
    as_list,
    from_epoch_seconds,
    http_request,
    require,
)

# Facebook's verbs on a comment; "hide"/"unhide" are unconfirmed in Meta's documentation
# (docs/channels.md says so) — an unknown verb is ignored, never a failed event.
FEED_VERBS = {
    "add": "upsert",
    "edited": "upsert",
    "edit": "upsert",
    "remove": "delete",
    "hide": "hide",
    "unhide": "unhide",
}


class FacebookComments(GraphComments):
    """The comment surface of a Facebook Page (see ``docs/architecture.md``, comments)."""

    LABEL = "Facebook"
    ACTIONS = frozenset({"reply", "private_reply", "hide", "delete", "like"})
    MAX_REPLY_LENGTH = 8000
    REPLY_EDGE = "comments"
    HIDE_KEY = "is_hidden"
    POST_FIELDS = "id,message,permalink_url,full_picture,status_type"
    # ``filter=stream``: every comment, replies included (each with its ``parent``), oldest
    # first; hidden ones too (the Page can see them).
    LIST_PARAMS = {
        "filter": "stream",
        "order": "chronological",
        "fields": "id,message,from{id,name},created_time,parent{id},is_hidden",
    }

    # --- webhooks ---------------------------------------------------------------------------

    def parse_change(self, page_id: str, entry_time: Any, value: dict) -> CommentEvent | None:
        if not isinstance(value, dict) or value.get("item") != "comment":
            return None
        action = FEED_VERBS.get(str(value.get("verb", "")))
        if action is None:
            return None
        comment_id = str(require(value, "comment_id", "feed change"))
        post_id = str(require(value, "post_id", "feed change"))
        parent_id = str(value.get("parent_id", "") or "")
        if parent_id == post_id:
            parent_id = ""  # top-level: Facebook names the post as the parent
        author = value.get("from") or {}
        if not isinstance(author, dict):
            raise PayloadError("from is not an object")
        author_id = str(author.get("id", "") or "")
        when = entry_time if entry_time is not None else value.get("created_time")
        post = value.get("post") if isinstance(value.get("post"), dict) else {}
        return CommentEvent(
            account_id=page_id,
            comment_id=comment_id,
            post_id=post_id,
            action=action,
            timestamp=from_epoch_seconds(when if when is not None else 0),
            parent_id=parent_id,
            author_id=author_id,
            author_name=str(author.get("name", "") or ""),
            text=str(value.get("message", "") or ""),
            is_own=bool(author_id) and author_id == page_id,
            edited=str(value.get("verb")) in ("edited", "edit"),
            hidden=bool(value.get("is_hidden")),
            post=PostInfo(
                post_id=post_id,
                permalink=str(post.get("permalink_url", "") or ""),
                media_type=str(post.get("status_type", "") or ""),
            ),
        )

    # --- calls ------------------------------------------------------------------------------

    def _call(
        self, client, method, *, base_url, credentials, path, opts, params=None, body=None
    ) -> dict:
        url = _meta.graph_url(base_url, opts.get("version") or _meta.GRAPH_VERSION, path)
        response = http_request(
            client, method, url, headers=_meta.auth(credentials), params=params, json=body
        )
        return _meta.check(response, self.LABEL)

    def like(
        self, client, *, base_url, credentials, account_id, post_id, comment_id, liked, **opts
    ) -> None:
        self._call(
            client,
            "POST" if liked else "DELETE",
            base_url=base_url,
            credentials=credentials,
            path=f"{comment_id}/likes",
            opts=opts,
        )

    def _post_info(self, post_id: str, data: dict) -> PostInfo:
        return PostInfo(
            post_id=post_id,
            caption=str(data.get("message", "") or ""),
            thumbnail_url=str(data.get("full_picture", "") or ""),
            permalink=str(data.get("permalink_url", "") or ""),
            media_type=str(data.get("status_type", "") or ""),
        )

    def _list_events(self, account_id: str, post_id: str, data: dict) -> list[CommentEvent]:
        events = []
        for item in data.get("data") or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            author = item.get("from") if isinstance(item.get("from"), dict) else {}
            parent = item.get("parent") if isinstance(item.get("parent"), dict) else {}
            author_id = str(author.get("id", "") or "")
            events.append(
                CommentEvent(
                    account_id=account_id,
                    comment_id=str(item["id"]),
                    post_id=post_id,
                    action="upsert",
                    timestamp=graph_time(item.get("created_time")),
                    parent_id=str(parent.get("id", "") or ""),
                    author_id=author_id,
                    author_name=str(author.get("name", "") or ""),
                    text=str(item.get("message", "") or ""),
                    is_own=bool(author_id) and author_id == account_id,
                    hidden=bool(item.get("is_hidden")),
                    post=PostInfo(post_id=post_id),
                )
            )
        return events


FACEBOOK = FacebookComments()


def parse_feed_entry(page_id: str, entry: dict, out: dict[str, list]) -> None:
    """The ``changes`` of a page entry: comments become CommentEvents, the rest is noted."""
    for change in as_list(entry.get("changes"), "changes"):
        if not isinstance(change, dict):
            raise PayloadError("change is not an object")
        if change.get("field") != "feed":
            out["ignored"].append(f"page change {change.get('field')!r} not handled")
            continue
        event = FACEBOOK.parse_change(page_id, entry.get("time"), change.get("value") or {})
        if event is None:
            value = change.get("value") or {}
            out["ignored"].append(f"feed {value.get('item')!r}/{value.get('verb')!r} not handled")
            continue
        out["comments"].append(event)
