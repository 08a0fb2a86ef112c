"""The simulator's Facebook Page comments: posts and comments kept by the fake Graph API,
the comment calls (reply, hide, delete, like, the post's fields) and the private reply through
``/{page-id}/messages`` with ``recipient.comment_id`` (one per comment, within 7 days), in
Graph's wire format; and the ``feed`` webhook a simulated customer's comment produces."""

from __future__ import annotations

import secrets
import time
from typing import Any

from .wire import digits, json_response

API = "graph"
PRIVATE_REPLY_WINDOW_S = 7 * 24 * 3600


def commenter_id(name: str) -> str:
    """The commenter's id on the page's posts (not the Messenger PSID, as on Facebook)."""
    return "9" + digits("commenter:" + name, 15)


def put_post(store, *, page_id: str, post_id: str, caption: str = "", api: str = API) -> dict:
    """A page post (Graph's fields) or an Instagram media (``api="instagram"``)."""
    post = store.get_object(api, "post", post_id)
    if post is None and api == API:
        post = {
            "id": post_id,
            "page_id": page_id,
            "message": f"Post {post_id[-4:]}",
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/{post_id.split('_')[-1]}",
            "full_picture": f"https://scontent.xx.fbcdn.net/v/{post_id}.jpg",
            "status_type": "added_photos",
        }
    elif post is None:
        post = {
            "id": post_id,
            "page_id": page_id,
            "caption": f"Post {post_id[-4:]}",
            "permalink": f"https://www.instagram.com/p/{post_id[-11:]}/",
            "media_type": "IMAGE",
            "media_url": f"https://scontent.cdninstagram.com/v/{post_id}.jpg",
        }
    if caption:
        post["message" if api == API else "caption"] = caption
    store.put_object(api, "post", post_id, post)
    return post


def put_comment(
    store,
    *,
    post_id: str,
    author_id: str,
    author_name: str,
    psid: str,
    text: str,
    parent_id: str = "",
    created: int | None = None,
    api: str = API,
) -> dict:
    comment = {
        "id": f"{post_id.split('_')[-1]}_{secrets.randbelow(10**15)}",
        "post_id": post_id,
        "parent_id": parent_id or post_id,
        "from": {"id": author_id, "name": author_name},
        "psid": psid,
        "message": text,
        "created_time": created or int(time.time()),
        "is_hidden": False,
        "private_replied": False,
    }
    store.put_object(api, "comment", comment["id"], comment, parent_id=post_id)
    return comment


def feed_payload(page_id: str, comment: dict, verb: str, *, now: int | None = None) -> dict:
    now = now or int(time.time())
    value = {
        "from": comment["from"],
        "post": {
            "status_type": "added_photos",
            "is_published": True,
            "updated_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(now)),
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/"
            f"{comment['post_id'].split('_')[-1]}",
            "promotion_status": "inactive",
            "id": comment["post_id"],
        },
        "message": comment["message"],
        "post_id": comment["post_id"],
        "comment_id": comment["id"],
        "created_time": comment["created_time"],
        "item": "comment",
        "parent_id": comment["parent_id"],
        "verb": verb,
    }
    return {
        "object": "page",
        "entry": [{"id": page_id, "time": now, "changes": [{"value": value, "field": "feed"}]}],
    }


def handle(
    fakes,
    method: str,
    parts: list[str],
    query: dict,
    data: Any,
    error,
    *,
    api: str = API,
    reply_edge: str = "comments",
    hide_key: str = "is_hidden",
):
    """Comment and post nodes (``parts`` = [version, node, edge?]); None for anything else.
    Instagram's differ in the reply edge (``replies``) and the hide field (``hide``)."""
    store = fakes.store
    node = parts[1]
    edge = parts[2] if len(parts) > 2 else ""
    if method == "POST" and edge == "messages" and isinstance(data, dict):
        comment_id = (data.get("recipient") or {}).get("comment_id")
        if comment_id:
            return _private_reply(store, str(comment_id), data, error, api)
        return None
    post = store.get_object(api, "post", node)
    if post is not None and method == "GET" and edge == "comments":
        return _list(fakes, parts, query, api, error)
    if post is not None and method == "GET" and not edge:
        fields = {k: v for k, v in post.items() if k != "page_id"}
        # Pictures on the fake's own CDN (Meta's is another host, as here).
        cdn = f"{fakes.public_base_url}{fakes.prefix}/{api}/cdn/post-{node}.jpg"
        for key in ("full_picture", "media_url", "thumbnail_url"):
            if fields.get(key):
                fields[key] = cdn
        return json_response(200, fields)
    comment = store.get_object(api, "comment", node)
    if comment is None:
        return None
    if comment.get("deleted"):
        return error("100", "Unsupported request: the object does not exist.")
    if method == "POST" and edge == reply_edge:
        text = str((data or {}).get("message", "")) if isinstance(data, dict) else ""
        if not text:
            return error("100", "A message is required.")
        page_id = post_id_page(store, comment["post_id"], api)
        reply = put_comment(
            store,
            post_id=comment["post_id"],
            author_id=page_id,
            author_name="Page",
            psid="",
            text=text,
            parent_id=comment["id"],
            api=api,
        )
        return json_response(200, {"id": reply["id"]})
    if method == "POST" and not edge and isinstance(data, dict) and hide_key in data:
        comment["is_hidden"] = bool(data[hide_key])
    elif method == "DELETE" and not edge:
        comment["deleted"] = True
    elif edge == "likes" and method in ("POST", "DELETE"):
        comment["liked"] = method == "POST"
    else:
        return error("100", "Unsupported request.")
    store.put_object(api, "comment", comment["id"], comment, parent_id=comment["post_id"])
    return json_response(200, {"success": True})


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(epoch)))


def _wire(comment: dict, api: str) -> dict:
    """A stored comment as the comment list shows it (Facebook's or Instagram's fields)."""
    author = comment.get("from") or {}
    if api == API:
        item = {
            "id": comment["id"],
            "message": comment.get("message", ""),
            "from": {"id": author.get("id", ""), "name": author.get("name", "")},
            "created_time": _iso(comment["created_time"]),
            "is_hidden": bool(comment.get("is_hidden")),
        }
        if comment.get("parent_id") and comment["parent_id"] != comment["post_id"]:
            item["parent"] = {"id": comment["parent_id"]}
        return item
    username = str(author.get("name", "")).lower().replace(" ", "_")
    item = {
        "id": comment["id"],
        "text": comment.get("message", ""),
        "timestamp": _iso(comment["created_time"]),
        "username": username,
        "from": {"id": author.get("id", ""), "username": username},
        "hidden": bool(comment.get("is_hidden")),
    }
    if comment.get("parent_id") and comment["parent_id"] != comment["post_id"]:
        item["parent_id"] = comment["parent_id"]
    return item


def _list(fakes, parts: list[str], query: dict, api: str, error):
    """``GET /{post-id}/comments``: oldest first, ``limit`` per page, cursor paging with a
    ``next`` URL while more remain. Facebook with ``filter=stream`` lists replies too (each
    with ``parent``); Instagram lists top-level comments with their ``replies`` nested."""
    node = parts[1]
    try:
        limit = min(max(int(query.get("limit") or 25), 1), 100)
        start = int(query.get("after") or "0", 16) if query.get("after") else 0
    except ValueError:
        return error("100", "Invalid parameter: after / limit.")
    stored = [c for c in fakes.store.objects(api, "comment", node) if not c.get("deleted")]
    stored.sort(key=lambda c: (int(c["created_time"]), c["id"]))
    top = [c for c in stored if c.get("parent_id", node) in (node, "")]
    if api == API:
        listed = stored if query.get("filter") == "stream" else top
        items = [_wire(c, api) for c in listed]
    else:
        items = []
        for comment in top:
            item = _wire(comment, api)
            replies = [_wire(r, api) for r in stored if r.get("parent_id") == comment["id"]]
            if replies and "replies" in str(query.get("fields", "")):
                item["replies"] = {"data": replies}
            items.append(item)
    page = items[start : start + limit]
    body: dict = {"data": page}
    if page:
        after = format(start + len(page), "x")
        body["paging"] = {"cursors": {"before": format(start, "x"), "after": after}}
        if start + len(page) < len(items):
            base = f"{fakes.public_base_url}{fakes.prefix}/{api}/{parts[0]}/{node}/comments"
            body["paging"]["next"] = f"{base}?limit={limit}&after={after}"
    return json_response(200, body)


def post_id_page(store, post_id: str, api: str = API) -> str:
    post = store.get_object(api, "post", post_id) or {}
    return str(post.get("page_id") or post_id.split("_")[0])


def _private_reply(store, comment_id: str, data: dict, error, api: str = API):
    comment = store.get_object(api, "comment", comment_id)
    text = (data.get("message") or {}).get("text", "")
    if comment is None or comment.get("deleted"):
        return error("100", "Unsupported request: the comment does not exist.")
    if not text or len(text) > 2000:
        return error("100")
    if comment.get("private_replied"):
        return error("10900")
    if time.time() - int(comment["created_time"]) > PRIVATE_REPLY_WINDOW_S:
        return error("10903")
    comment["private_replied"] = True
    store.put_object(api, "comment", comment["id"], comment, parent_id=comment["post_id"])
    return json_response(
        200, {"recipient_id": comment["psid"], "message_id": "m_" + secrets.token_urlsafe(24)}
    )
