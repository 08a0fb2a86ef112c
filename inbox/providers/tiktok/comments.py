"""TikTok comments on the business account's videos: the ``comment.update`` webhook and the
comment API (list, reply, hide, delete, like) of the TikTok API for Business.

Wire formats: ``/work/shared/providers.md`` (Comments, c). The webhook carries no author, so
a new comment is read back through the comment list API (``fetch``); the same call backfills
a video and catches up after downtime. Ids are strings (they exceed a JS safe integer).
Imports nothing from Django.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from ..base import (
    CommentEvent,
    PayloadError,
    PostInfo,
    ProviderError,
    check_text,
    from_epoch_ms,
    from_epoch_seconds,
    http_request,
    require,
)
from .api import _api, _check

COMMENT_EVENT = "comment.update"
# comment_action → what happens to the stored comment. A comment made "friends only" is no
# longer public: shown as hidden.
COMMENT_ACTIONS = {
    "insert": "fetch",
    "delete": "delete",
    "set_to_hidden": "hide",
    "set_to_friends_only": "hide",
    "set_to_public": "unhide",
}
MAX_LIST_COUNT = 30


def parse_comment_event(payload: dict, content: dict, business_id: str) -> CommentEvent:
    action = COMMENT_ACTIONS.get(str(content.get("comment_action", "")))
    if action is None:
        raise PayloadError(f"unknown comment_action {content.get('comment_action')!r}")
    comment_id = str(require(content, "comment_id", "comment.update content"))
    video_id = str(require(content, "video_id", "comment.update content"))
    parent = str(content.get("parent_comment_id", "") or "")
    if content.get("timestamp") is not None:
        when = from_epoch_ms(content["timestamp"])
    else:
        when = from_epoch_seconds(require(payload, "create_time"))
    return CommentEvent(
        account_id=business_id,
        comment_id=comment_id,
        post_id=video_id,
        action=action,
        timestamp=when,
        parent_id=parent if parent not in ("0", comment_id) else "",
        text=str(content.get("text", "") or ""),
    )


def comment_dedup_key(payload: dict, content: dict) -> str:
    return ":".join(
        [
            "tiktok",
            COMMENT_EVENT,
            str(payload.get("user_openid", "")),
            str(content.get("comment_id", "")),
            str(content.get("comment_action", "")),
            str(content.get("unique_identifier") or content.get("timestamp") or ""),
        ]
    )


def _created(value: Any) -> datetime:
    number = int(float(value))
    return from_epoch_ms(number) if number > 10**11 else from_epoch_seconds(number)


class TikTokComments:
    """The comment surface of a TikTok business account (``docs/architecture.md``)."""

    LABEL = "TikTok"
    ACTIONS = frozenset({"reply", "hide", "delete", "like"})  # no private reply on TikTok
    MAX_REPLY_LENGTH = 150
    PRIVATE_REPLY_WINDOW = None
    CAN_LIST = True

    def action_problem(self, action: str, *, comment: Any) -> str | None:
        return None

    def _call(self, client, method, base_url, path, credentials, **kwargs) -> dict:
        response = http_request(
            client,
            method,
            _api(base_url, path),
            headers={"Access-Token": credentials.get("access_token", "")},
            **kwargs,
        )
        return _check(response)

    def reply(
        self,
        client: httpx.Client,
        *,
        base_url,
        credentials,
        account_id,
        post_id,
        comment_id,
        text,
        **opts,
    ) -> str:
        check_text(text, self.MAX_REPLY_LENGTH)
        data = self._call(
            client,
            "POST",
            base_url,
            "business/comment/reply/create/",
            credentials,
            json={
                "business_id": account_id,
                "video_id": post_id,
                "comment_id": comment_id,
                "text": text,
            },
        )
        new_id = str(data.get("comment_id", "") or "")
        if not new_id:
            raise ProviderError(
                "TikTok did not return a comment id.", code="bad_response", permanent=False
            )
        return new_id

    def set_hidden(
        self,
        client,
        *,
        base_url,
        credentials,
        account_id,
        post_id,
        comment_id,
        hidden: bool,
        **opts,
    ) -> None:
        self._call(
            client,
            "POST",
            base_url,
            "business/comment/hide/",
            credentials,
            json={
                "business_id": account_id,
                "video_id": post_id,
                "comment_id": comment_id,
                "action": "HIDE" if hidden else "UNHIDE",
            },
        )

    def delete(
        self, client, *, base_url, credentials, account_id, post_id, comment_id, **opts
    ) -> None:
        self._call(
            client,
            "POST",
            base_url,
            "business/comment/delete/",
            credentials,
            json={"business_id": account_id, "comment_id": comment_id},
        )

    def like(
        self, client, *, base_url, credentials, account_id, post_id, comment_id, liked: bool, **opts
    ) -> None:
        self._call(
            client,
            "POST",
            base_url,
            "business/comment/like/",
            credentials,
            json={
                "business_id": account_id,
                "comment_id": comment_id,
                "action": "LIKE" if liked else "UNLIKE",
            },
        )

    def private_reply(self, client, **kwargs):
        raise ProviderError(
            "TikTok offers no private reply to a comment.", code="unsupported", permanent=True
        )

    def fetch_post(self, client, *, base_url, credentials, account_id, post_id, **opts) -> PostInfo:
        data = self._call(
            client,
            "GET",
            base_url,
            "business/video/list/",
            credentials,
            params={
                "business_id": account_id,
                "fields": json.dumps(["item_id", "caption", "thumbnail_url", "share_url"]),
                "filters": json.dumps({"video_ids": [post_id]}),
            },
        )
        for video in data.get("videos") or []:
            if isinstance(video, dict) and str(video.get("item_id")) == post_id:
                return PostInfo(
                    post_id=post_id,
                    caption=str(video.get("caption", "") or ""),
                    thumbnail_url=str(video.get("thumbnail_url", "") or ""),
                    permalink=str(video.get("share_url", "") or ""),
                    media_type="VIDEO",
                )
        return PostInfo(post_id=post_id, media_type="VIDEO")

    def list_comments(
        self,
        client,
        *,
        base_url,
        credentials,
        account_id,
        post_id,
        comment_ids=(),
        cursor="",
        **opts,
    ) -> tuple[list[CommentEvent], str]:
        """One page of a video's comments (replies included, hidden ones too), as upserts;
        and the cursor of the next page ("" at the end)."""
        params: dict[str, Any] = {
            "business_id": account_id,
            "video_id": post_id,
            "include_replies": "true",
            "status": "ALL",
            "sort_field": "create_time",
            "sort_order": "asc",
            "max_count": MAX_LIST_COUNT,
        }
        if comment_ids:
            params["comment_ids"] = json.dumps([str(c) for c in comment_ids])
        if cursor:
            params["cursor"] = cursor
        data = self._call(
            client, "GET", base_url, "business/comment/list/", credentials, params=params
        )
        events = []
        for item in data.get("comments") or []:
            if not isinstance(item, dict) or not item.get("comment_id"):
                continue
            parent = str(item.get("parent_comment_id", "") or "")
            comment_id = str(item["comment_id"])
            events.append(
                CommentEvent(
                    account_id=account_id,
                    comment_id=comment_id,
                    post_id=str(item.get("video_id") or post_id),
                    action="upsert",
                    timestamp=_created(item.get("create_time") or 0),
                    parent_id=parent if parent not in ("0", comment_id) else "",
                    author_id=str(item.get("user_id", "") or ""),
                    author_name=str(item.get("display_name") or item.get("username") or ""),
                    text=str(item.get("text", "") or ""),
                    is_own=bool(item.get("owner")),
                    liked=bool(item.get("liked")),
                    hidden=str(item.get("status", "PUBLIC")).upper() == "HIDDEN",
                )
            )
        more = bool(data.get("has_more"))
        return events, (str(data.get("cursor", "")) if more else "")


TIKTOK = TikTokComments()
