"""Instagram comments: the ``comments`` and ``live_comments`` webhook fields and the comment
calls of the Instagram API (reply, hide, delete, the private reply, the media's fields), on
both hosts (Instagram Login, Facebook Page).

Wire formats: ``/work/shared/providers.md`` (Comments, b). Rules: a reply goes to a
top-level comment (a reply to a reply is attached to its top-level comment, as Instagram
does); no reply to a hidden comment nor to a live comment; one private reply per comment
within 7 days. Instagram offers no "like" for a business on comments. Instagram sends no
webhook for hide or delete: Parley's own actions are the only changes it sees.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..base import (
    CommentEvent,
    PayloadError,
    PostInfo,
    ProviderError,
    SendResult,
    check_text,
    from_epoch_seconds,
    require,
)
from . import api

COMMENT_FIELDS = ("comments", "live_comments")
PRIVATE_REPLY_ERRORS = {
    "10900": gettext_lazy("This comment already has its private reply (one per comment)."),
    "10903": gettext_lazy("Private replies are only possible within 7 days of the comment."),
}


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


class InstagramComments:
    LABEL = "Instagram"
    ACTIONS = frozenset({"reply", "private_reply", "hide", "delete"})
    MAX_REPLY_LENGTH = 2200
    PRIVATE_REPLY_WINDOW = timedelta(days=7)
    CAN_LIST = False

    def __init__(self, root, version, app_secret):
        self._root, self._version, self._app_secret = root, version, app_secret

    def action_problem(self, action: str, *, comment: Any) -> str | None:
        if action == "reply" and comment.state == "hidden":
            return _("Instagram does not allow replies to a hidden comment; unhide it first.")
        if action == "reply" and comment.is_live:
            return _("Instagram does not allow public replies to comments made during a live.")
        return None

    def _call(self, client, method, base_url, credentials, path, opts, **kwargs) -> dict:
        return api.graph_call(
            client,
            method,
            self._root(base_url, credentials),
            self._version(opts),
            path,
            credentials,
            app_secret=self._app_secret(),
            **kwargs,
        )

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
        parent_id="",
        **opts,
    ) -> str:
        check_text(text, self.MAX_REPLY_LENGTH)
        target = parent_id or comment_id  # replies attach to the top-level comment
        data = self._call(
            client, "POST", base_url, credentials, f"{target}/replies", opts, body={"message": text}
        )
        if not data.get("id"):
            raise ProviderError(
                "Instagram did not return a comment id.", code="bad_response", permanent=False
            )
        return str(data["id"])

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
            client, "POST", base_url, credentials, comment_id, opts, body={"hide": bool(hidden)}
        )

    def delete(
        self, client, *, base_url, credentials, account_id, post_id, comment_id, **opts
    ) -> None:
        self._call(client, "DELETE", base_url, credentials, comment_id, opts)

    def like(self, client, **kwargs) -> None:
        raise ProviderError(
            "Instagram offers no like on comments.", code="unsupported", permanent=True
        )

    def private_reply(
        self, client, *, base_url, credentials, account_id, comment_id, text, **opts
    ) -> tuple[str, SendResult]:
        check_text(text, api.MAX_TEXT_LENGTH)
        try:
            data = self._call(
                client,
                "POST",
                base_url,
                credentials,
                f"{api.sender_node(credentials, account_id)}/messages",
                opts,
                body={"recipient": {"comment_id": comment_id}, "message": {"text": text}},
            )
        except ProviderError as exc:
            if exc.code in PRIVATE_REPLY_ERRORS:
                raise ProviderError(
                    str(PRIVATE_REPLY_ERRORS[exc.code]), code=exc.code, permanent=True
                ) from exc
            raise
        if not data.get("recipient_id") or not data.get("message_id"):
            raise ProviderError(
                "Instagram did not return the conversation.", code="bad_response", permanent=False
            )
        return str(data["recipient_id"]), SendResult(provider_message_id=str(data["message_id"]))

    def fetch_post(self, client, *, base_url, credentials, account_id, post_id, **opts) -> PostInfo:
        data = self._call(
            client,
            "GET",
            base_url,
            credentials,
            post_id,
            opts,
            params={"fields": "id,caption,permalink,media_type,media_url,thumbnail_url"},
        )
        return PostInfo(
            post_id=post_id,
            caption=str(data.get("caption", "") or ""),
            thumbnail_url=str(data.get("thumbnail_url") or data.get("media_url") or ""),
            permalink=str(data.get("permalink", "") or ""),
            media_type=str(data.get("media_type", "") or ""),
        )

    def list_comments(self, client, **kwargs):
        return [], ""
