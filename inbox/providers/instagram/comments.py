"""Instagram comments: the ``comments`` and ``live_comments`` webhook fields and the comment
calls of the Instagram API (reply, hide, delete, the private reply, the media's fields), on
both hosts (Instagram Login, Facebook Page).

Wire formats: ``/work/shared/providers.md`` (Comments, b). Rules: a reply goes to a
top-level comment (a reply to a reply is attached to its top-level comment, as Instagram
does); no reply to a hidden comment nor to a live comment; one private reply per comment
within 7 days. Instagram offers no "like" for a business on comments. Instagram sends no
webhook for hide or delete: Parley's own actions are the only changes it sees, and the
comment list (``GET /{media-id}/comments``, replies nested) backfills and catches up. The
calls shared with Facebook are in ``_graph_comments.GraphComments``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .._graph_comments import GraphComments, graph_time
from ..base import (
    CommentEvent,
    PayloadError,
    PostInfo,
    ProviderError,
    from_epoch_seconds,
    require,
)
from . import api

COMMENT_FIELDS = ("comments", "live_comments")


def parse_comment_change(ig_id: str, entry_time: Any, field: str, value: Any) -> CommentEvent:
    if not isinstance(value, dict):
        raise PayloadError("comment value is not an object")
    author = value.get("from") or {}
    if not isinstance(author, dict):
        raise PayloadError("from is not an object")
    media = value.get("media") or {}
    if not isinstance(media, dict):
        raise PayloadError("media is not an object")
    comment_id = str(require(value, "id", "comment"))
    media_id = str(require(media, "id", "comment media"))
    author_id = str(author.get("id", "") or "")
    return CommentEvent(
        account_id=ig_id,
        comment_id=comment_id,
        post_id=media_id,
        action="upsert",
        timestamp=from_epoch_seconds(entry_time if entry_time is not None else 0),
        parent_id=str(value.get("parent_id", "") or ""),
        author_id=author_id,
        author_name=str(author.get("username", "") or ""),
        text=str(value.get("text", "") or ""),
        is_own=bool(author_id) and (author_id == ig_id or bool(author.get("self_ig_scoped_id"))),
        is_live=field == "live_comments",
        post=PostInfo(
            post_id=media_id,
            media_type=str(media.get("media_product_type", "") or ""),
            ad_id=str(media.get("ad_id", "") or ""),
            ad_title=str(media.get("ad_title", "") or ""),
        ),
    )


class InstagramComments(GraphComments):
    LABEL = "Instagram"
    ACTIONS = frozenset({"reply", "private_reply", "hide", "delete"})
    MAX_REPLY_LENGTH = 2200
    MAX_PRIVATE_REPLY_LENGTH = api.MAX_TEXT_LENGTH
    REPLY_EDGE = "replies"
    HIDE_KEY = "hide"
    POST_FIELDS = "id,caption,permalink,media_type,media_url,thumbnail_url"
    # Top-level comments, each with its replies nested (Instagram threads one level deep).
    _FIELDS = "id,text,timestamp,username,from,hidden,parent_id"
    LIST_PARAMS = {"fields": f"{_FIELDS},replies{{{_FIELDS}}}"}

    def __init__(self, root, version, app_secret):
        self._root, self._version, self._app_secret = root, version, app_secret

    def action_problem(self, action: str, *, comment: Any) -> str | None:
        if action == "reply" and comment.state == "hidden":
            return _("Instagram does not allow replies to a hidden comment; unhide it first.")
        if action == "reply" and comment.is_live:
            return _("Instagram does not allow public replies to comments made during a live.")
        return None

    def _call(
        self, client, method, *, base_url, credentials, path, opts, params=None, body=None
    ) -> dict:
        return api.graph_call(
            client,
            method,
            self._root(base_url, credentials),
            self._version(opts),
            path,
            credentials,
            app_secret=self._app_secret(),
            params=params,
            body=body,
        )

    def _reply_target(self, comment_id: str, parent_id: str) -> str:
        return parent_id or comment_id  # replies attach to the top-level comment

    def _sender(self, credentials: dict, account_id: str) -> str:
        return api.sender_node(credentials, account_id)

    def like(self, client, **kwargs) -> None:
        raise ProviderError(
            "Instagram offers no like on comments.", code="unsupported", permanent=True
        )

    def _post_info(self, post_id: str, data: dict) -> PostInfo:
        return PostInfo(
            post_id=post_id,
            caption=str(data.get("caption", "") or ""),
            thumbnail_url=str(data.get("thumbnail_url") or data.get("media_url") or ""),
            permalink=str(data.get("permalink", "") or ""),
            media_type=str(data.get("media_type", "") or ""),
        )

    def _list_events(self, account_id: str, post_id: str, data: dict) -> list[CommentEvent]:
        events = []
        for item in data.get("data") or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            events.append(_listed(account_id, post_id, item, parent_id=""))
            replies = item.get("replies") if isinstance(item.get("replies"), dict) else {}
            for reply in replies.get("data") or []:
                if isinstance(reply, dict) and reply.get("id"):
                    parent = str(reply.get("parent_id") or item["id"])
                    events.append(_listed(account_id, post_id, reply, parent_id=parent))
        return events


def _listed(account_id: str, post_id: str, item: dict, *, parent_id: str) -> CommentEvent:
    author = item.get("from") if isinstance(item.get("from"), dict) else {}
    author_id = str(author.get("id", "") or "")
    return CommentEvent(
        account_id=account_id,
        comment_id=str(item["id"]),
        post_id=post_id,
        action="upsert",
        timestamp=graph_time(item.get("timestamp")),
        parent_id=parent_id,
        author_id=author_id,
        author_name=str(author.get("username") or item.get("username") or ""),
        text=str(item.get("text", "") or ""),
        is_own=bool(author_id) and author_id == account_id,
        hidden=bool(item.get("hidden")),
        post=PostInfo(post_id=post_id),
    )
