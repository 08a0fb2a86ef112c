"""The comment surface Facebook Pages and Instagram share: both speak the Graph API (reply,
hide, delete, the private reply through ``/{sender}/messages``, the post's fields, the
comment list with cursor paging). Each subclass says how it differs: the reply edge, the hide
field, the fields it reads, and how a call is made (host, version, app secret proof).

Wire formats: ``/work/shared/providers.md`` (Comments a, b) and Meta's reference for the
``/{object-id}/comments`` edge: ``{"data": [...], "paging": {"cursors": {"before", "after"},
"next"}}`` — ``next`` is present only while there is a further page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.utils.translation import gettext_lazy

from .base import (
    CommentEvent,
    PostInfo,
    ProviderError,
    SendResult,
    check_text,
    from_epoch_seconds,
)

PRIVATE_REPLY_ERRORS = {
    "10900": gettext_lazy("This comment already has its private reply (one per comment)."),
    "10903": gettext_lazy("Private replies are only possible within 7 days of the comment."),
}
PAGE_SIZE = 50


def graph_time(value: Any) -> datetime:
    """Graph's ``2024-06-15T08:30:00+0000`` (or epoch seconds)."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return from_epoch_seconds(value)
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return datetime.fromtimestamp(0, tz=UTC)


class GraphComments:
    LABEL = ""
    ACTIONS: frozenset = frozenset()
    MAX_REPLY_LENGTH = 0
    MAX_PRIVATE_REPLY_LENGTH = 2000
    PRIVATE_REPLY_WINDOW = timedelta(days=7)
    CAN_LIST = True  # ``GET /{post-id}/comments``: backfill and catch-up after downtime
    REPLY_EDGE = "comments"
    HIDE_KEY = "is_hidden"
    POST_FIELDS = ""
    LIST_PARAMS: dict = {}

    # --- what each subclass says --------------------------------------------------------

    def _call(
        self, client, method, *, base_url, credentials, path, opts, params=None, body=None
    ) -> dict:
        raise NotImplementedError

    def _post_info(self, post_id: str, data: dict) -> PostInfo:
        raise NotImplementedError

    def _list_events(self, account_id: str, post_id: str, data: dict) -> list[CommentEvent]:
        raise NotImplementedError

    def _reply_target(self, comment_id: str, parent_id: str) -> str:
        return comment_id

    def _sender(self, credentials: dict, account_id: str) -> str:
        return account_id

    def action_problem(self, action: str, *, comment: Any) -> str | None:
        return None

    # --- the calls ----------------------------------------------------------------------

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
        target = self._reply_target(comment_id, parent_id)
        data = self._call(
            client,
            "POST",
            base_url=base_url,
            credentials=credentials,
            path=f"{target}/{self.REPLY_EDGE}",
            opts=opts,
            body={"message": text},
        )
        if not data.get("id"):
            raise ProviderError(
                f"{self.LABEL} did not return a comment id.", code="bad_response", permanent=False
            )
        return str(data["id"])

    def set_hidden(
        self, client, *, base_url, credentials, account_id, post_id, comment_id, hidden, **opts
    ) -> None:
        self._call(
            client,
            "POST",
            base_url=base_url,
            credentials=credentials,
            path=comment_id,
            opts=opts,
            body={self.HIDE_KEY: bool(hidden)},
        )

    def delete(
        self, client, *, base_url, credentials, account_id, post_id, comment_id, **opts
    ) -> None:
        self._call(
            client, "DELETE", base_url=base_url, credentials=credentials, path=comment_id, opts=opts
        )

    def private_reply(
        self, client, *, base_url, credentials, account_id, comment_id, text, **opts
    ) -> tuple[str, SendResult]:
        """One message to the comment's author (a new DM conversation). Returns the
        customer's id there and the message id."""
        check_text(text, self.MAX_PRIVATE_REPLY_LENGTH)
        try:
            data = self._call(
                client,
                "POST",
                base_url=base_url,
                credentials=credentials,
                path=f"{self._sender(credentials, account_id)}/messages",
                opts=opts,
                body={"recipient": {"comment_id": comment_id}, "message": {"text": text}},
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
                f"{self.LABEL} did not return the conversation.",
                code="bad_response",
                permanent=False,
            )
        return str(data["recipient_id"]), SendResult(provider_message_id=str(data["message_id"]))

    def fetch_post(self, client, *, base_url, credentials, account_id, post_id, **opts) -> PostInfo:
        data = self._call(
            client,
            "GET",
            base_url=base_url,
            credentials=credentials,
            path=post_id,
            opts=opts,
            params={"fields": self.POST_FIELDS},
        )
        return self._post_info(post_id, data)

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
        """One page of a post's comments (replies included, hidden ones too) as upserts, and
        the cursor of the next page ("" at the end)."""
        params = {**self.LIST_PARAMS, "limit": PAGE_SIZE}
        if cursor:
            params["after"] = cursor
        data = self._call(
            client,
            "GET",
            base_url=base_url,
            credentials=credentials,
            path=f"{post_id}/comments",
            opts=opts,
            params=params,
        )
        events = self._list_events(account_id, post_id, data)
        paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
        after = str((paging.get("cursors") or {}).get("after") or "")
        return events, (after if paging.get("next") and after else "")
