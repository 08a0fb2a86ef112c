"""Comments on Meta: Facebook Page posts (the ``feed`` webhook field) and their Graph calls.

Wire formats: ``/work/shared/providers.md`` (Comments, a). Instagram's ``comments`` field
shares the Graph calls (its reply and hide paths differ). Imports nothing from Django but the
translation of the refusals.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from django.utils.translation import gettext_lazy

from . import _meta
from .base import (
    CommentEvent,
    PayloadError,
    PostInfo,
    ProviderError,
    SendResult,
    as_list,
    check_text,
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
PRIVATE_REPLY_ERRORS = {
    "10900": gettext_lazy("This comment already has its private reply (one per comment)."),
    "10903": gettext_lazy("Private replies are only possible within 7 days of the comment."),
}


class FacebookComments:
    """The comment surface of a Facebook Page (see ``docs/architecture.md``, comments)."""

    LABEL = "Facebook"
    ACTIONS = frozenset({"reply", "private_reply", "hide", "delete", "like"})
    MAX_REPLY_LENGTH = 8000
    PRIVATE_REPLY_WINDOW = timedelta(days=7)
    CAN_LIST = False  # comments arrive through the feed webhook only

    def action_problem(self, action: str, *, comment: Any) -> str | None:
        return None

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

    def _url(self, base_url: str, version: str, path: str) -> str:
        return _meta.graph_url(base_url, version, path)

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
        version=_meta.GRAPH_VERSION,
        **opts,
    ) -> str:
        check_text(text, self.MAX_REPLY_LENGTH)
        data = _meta.graph_post(
            client,
            self._url(base_url, version, f"{comment_id}/comments"),
            credentials,
            self.LABEL,
            {"message": text},
        )
        if not data.get("id"):
            raise ProviderError(
                "Facebook did not return a comment id.", code="bad_response", permanent=False
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
        version=_meta.GRAPH_VERSION,
        **opts,
    ) -> None:
        _meta.graph_post(
            client,
            self._url(base_url, version, comment_id),
            credentials,
            self.LABEL,
            {"is_hidden": bool(hidden)},
        )

    def delete(
        self,
        client,
        *,
        base_url,
        credentials,
        account_id,
        post_id,
        comment_id,
        version=_meta.GRAPH_VERSION,
        **opts,
    ) -> None:
        response = http_request(
            client,
            "DELETE",
            self._url(base_url, version, comment_id),
            headers=_meta.auth(credentials),
        )
        _meta.check(response, self.LABEL)

    def like(
        self,
        client,
        *,
        base_url,
        credentials,
        account_id,
        post_id,
        comment_id,
        liked: bool,
        version=_meta.GRAPH_VERSION,
        **opts,
    ) -> None:
        url = self._url(base_url, version, f"{comment_id}/likes")
        response = http_request(
            client, "POST" if liked else "DELETE", url, headers=_meta.auth(credentials)
        )
        _meta.check(response, self.LABEL)

    def private_reply(
        self,
        client,
        *,
        base_url,
        credentials,
        account_id,
        comment_id,
        text,
        version=_meta.GRAPH_VERSION,
        **opts,
    ) -> tuple[str, SendResult]:
        """One message to the comment's author (a new Messenger conversation). Returns the
        customer's PSID and the message id."""
        check_text(text, 2000)
        try:
            data = _meta.graph_post(
                client,
                self._url(base_url, version, f"{account_id}/messages"),
                credentials,
                self.LABEL,
                {"recipient": {"comment_id": comment_id}, "message": {"text": text}},
            )
        except ProviderError as exc:
            if exc.code in PRIVATE_REPLY_ERRORS:
                raise ProviderError(
                    str(PRIVATE_REPLY_ERRORS[exc.code]),
                    code=exc.code,
                    permanent=True,
                    http_status=exc.http_status,
                ) from exc
            raise
        if not data.get("recipient_id") or not data.get("message_id"):
            raise ProviderError(
                "Facebook did not return the conversation.", code="bad_response", permanent=False
            )
        return str(data["recipient_id"]), SendResult(provider_message_id=str(data["message_id"]))

    def fetch_post(
        self,
        client,
        *,
        base_url,
        credentials,
        account_id,
        post_id,
        version=_meta.GRAPH_VERSION,
        **opts,
    ) -> PostInfo:
        data = _meta.graph_get(
            client,
            self._url(base_url, version, post_id),
            credentials,
            self.LABEL,
            params={"fields": "id,message,permalink_url,full_picture,status_type"},
        )
        return PostInfo(
            post_id=post_id,
            caption=str(data.get("message", "") or ""),
            thumbnail_url=str(data.get("full_picture", "") or ""),
            permalink=str(data.get("permalink_url", "") or ""),
            media_type=str(data.get("status_type", "") or ""),
        )

    def list_comments(self, client, **kwargs) -> tuple[list[CommentEvent], str]:
        return [], ""


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
