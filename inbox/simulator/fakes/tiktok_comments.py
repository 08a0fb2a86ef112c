"""The simulator's TikTok comments: the business account's videos and their comments, the
comment API (list, reply, hide, delete, like) and video list in TikTok's wire format, and
the ``comment.update`` webhook a simulated customer's comment produces (no author: Parley
reads it back through the list API, as with the real TikTok)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

API = "tiktok"
MAX_TEXT = 150


def _now_ms() -> int:
    return int(time.time() * 1000)


def new_comment_id() -> str:
    return "7" + str(secrets.randbelow(10**18)).zfill(18)  # beyond a JS safe integer


def put_video(store, *, business_id: str, video_id: str, caption: str = "") -> dict:
    video = store.get_object(API, "post", video_id) or {
        "item_id": video_id,
        "business_id": business_id,
        "caption": caption or f"Video {video_id[-4:]}",
        "thumbnail_url": f"https://p16-sign.tiktokcdn.com/obj/{video_id}.jpeg",
        "share_url": f"https://www.tiktok.com/@shop/video/{video_id}",
        "create_time": int(time.time()),
    }
    if caption:
        video["caption"] = caption
    store.put_object(API, "post", video_id, video)
    return video


def put_comment(
    store,
    *,
    video_id: str,
    user_id: str,
    name: str,
    text: str,
    parent_id: str = "",
    owner: bool = False,
    created_ms: int | None = None,
) -> dict:
    comment = {
        "comment_id": new_comment_id(),
        "video_id": video_id,
        "user_id": user_id,
        "username": name.lower().replace(" ", "_"),
        "display_name": name,
        "text": text,
        "create_time": (created_ms or _now_ms()) // 1000,
        "parent_comment_id": parent_id or "0",
        "status": "PUBLIC",
        "owner": owner,
        "liked": False,
        "pinned": False,
        "likes": 0,
        "replies": 0,
    }
    store.put_object(API, "comment", comment["comment_id"], comment, parent_id=video_id)
    return comment


def comment_event(business_id: str, comment: dict, action: str, *, now_ms: int | None = None):
    content = {
        "comment_id": comment["comment_id"],
        "video_id": comment["video_id"],
        "comment_type": "reply" if comment.get("parent_comment_id", "0") != "0" else "comment",
        "comment_action": action,
        "unique_identifier": secrets.token_hex(8),
        "timestamp": now_ms or _now_ms(),
    }
    if comment.get("parent_comment_id", "0") != "0":
        content["parent_comment_id"] = comment["parent_comment_id"]
    if action == "insert":
        content["text"] = comment["text"]
    return {
        "client_key": "parley-simulator",
        "event": "comment.update",
        "create_time": int(time.time()),
        "user_openid": business_id,
        "content": json.dumps(content, ensure_ascii=False, separators=(",", ":")),
    }


def handle(fakes, method: str, api: str, query: dict, data: Any, ok, error):
    """The comment and video endpoints; None for any other path."""
    store = fakes.store
    if method == "GET" and api == "business/comment/list/":
        return _list(store, query, ok, error)
    if method == "GET" and api == "business/video/list/":
        try:
            wanted = json.loads(query.get("filters") or "{}").get("video_ids") or []
        except (ValueError, AttributeError):
            return error("40002", "filters is not valid JSON.")
        videos = [v for v in (store.get_object(API, "post", str(i)) for i in wanted) if v]
        # The cover on the fake's own CDN (TikTok's is another host, as here).
        cdn = f"{fakes.public_base_url}{fakes.prefix}/tiktok/media"
        videos = [{**v, "thumbnail_url": f"{cdn}/cover-{v['item_id']}.jpeg"} for v in videos]
        return ok({"videos": videos, "cursor": 0, "has_more": False})
    if method != "POST" or not api.startswith("business/comment/"):
        return None
    if not isinstance(data, dict) or not data.get("business_id"):
        return error("40002", "business_id is required.")
    comment = store.get_object(API, "comment", str(data.get("comment_id", "")))
    if comment is None or comment.get("deleted"):
        return error("40007", "Comment not found.")
    action = api.removeprefix("business/comment/").strip("/")
    if action == "reply/create":
        text = str(data.get("text", ""))
        if not text or len(text) > MAX_TEXT or str(data.get("video_id")) != comment["video_id"]:
            return error("40002", "text must be 1 to 150 characters.")
        reply = put_comment(
            store,
            video_id=comment["video_id"],
            user_id=str(data["business_id"]),
            name="shop",
            text=text,
            parent_id=comment["comment_id"],
            owner=True,
        )
        return ok({"comment_id": reply["comment_id"], "create_time": reply["create_time"]})
    if action == "hide":
        if data.get("action") not in ("HIDE", "UNHIDE"):
            return error("40002", "action must be HIDE or UNHIDE.")
        comment["status"] = "HIDDEN" if data["action"] == "HIDE" else "PUBLIC"
    elif action == "delete":
        if not comment.get("owner"):
            return error("40001", "Only comments of this account can be deleted.")
        comment["deleted"] = True
    elif action == "like":
        if data.get("action") not in ("LIKE", "UNLIKE"):
            return error("40002", "action must be LIKE or UNLIKE.")
        comment["liked"] = data["action"] == "LIKE"
    else:
        return error("40002", f"Unknown endpoint {api}.")
    store.put_object(API, "comment", comment["comment_id"], comment, parent_id=comment["video_id"])
    return ok({})


def _list(store, query: dict, ok, error):
    video_id = query.get("video_id", "")
    if not query.get("business_id") or not video_id:
        return error("40002", "business_id and video_id are required.")
    comments = [c for c in store.objects(API, "comment", video_id) if not c.get("deleted")]
    if query.get("comment_ids"):
        try:
            ids = {str(i) for i in json.loads(query["comment_ids"])}
        except (ValueError, TypeError):
            return error("40002", "comment_ids is not valid JSON.")
        comments = [c for c in comments if c["comment_id"] in ids]
    if query.get("status", "PUBLIC") == "PUBLIC":
        comments = [c for c in comments if c["status"] == "PUBLIC"]
    comments.sort(key=lambda c: (c["create_time"], c["comment_id"]))
    try:
        start = int(query.get("cursor") or 0)
        count = min(int(query.get("max_count") or 20), 30)
    except ValueError:
        return error("40002", "cursor and max_count are numbers.")
    page = [{k: v for k, v in c.items() if k != "deleted"} for c in comments[start : start + count]]
    more = start + count < len(comments)
    return ok({"comments": page, "cursor": start + count, "has_more": more})
