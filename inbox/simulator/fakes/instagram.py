"""The simulator's Instagram: both API hosts in Graph's wire format, and the webhooks a
simulated Instagram customer produces (without a name, as Instagram's: the fake profile API
knows it).

Under ``/instagram`` the fake serves ``graph.facebook.com`` (the Page flavour) at the root and
``graph.instagram.com`` (Instagram Login) under ``/instagram/graph.instagram.com``:

- ``POST /<v>/<node>/messages``: a send (node = the Instagram account id, or the Page id / ``me``)
  → ``{recipient_id, message_id}``; text 1–1000 characters; a ``tag`` needs
  ``messaging_type: MESSAGE_TAG`` and only ``HUMAN_AGENT`` is known
- ``GET /<v>/me?fields=user_id,…`` (Instagram Login token check), ``GET /<v>/<page id>?fields=
  instagram_business_account{…}`` (Page token check), ``GET /<v>/<IGSID>?fields=name,…`` (profile)
- ``GET /cdn/<name>``: public attachment URLs (Meta's CDN)
- ``GET /graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=…``:
  a new long-lived token

Tokens: Instagram Login ``IGAA.<ig account id>.…``; Page ``EAA.<page id>.<ig account id>.…``.
Errors are Graph's error objects (``IGApiException`` for the closed window, HTTP 403).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from . import graph_comments
from .wire import PNG_1PX, digits, json_response

API_PATH = "instagram"
INSTAGRAM_HOST = "graph.instagram.com"
DEFAULT_ERROR = "2"
MAX_TEXT = 1000

# name → (http status, type, code, subcode, message), as Graph answers them
ERRORS: dict[str, tuple[int, str, int, int | None, str]] = {
    "2534022": (
        403,
        "IGApiException",
        10,
        2534022,
        "This message is sent outside of allowed window.",
    ),
    "190": (400, "OAuthException", 190, 463, "Error validating access token: Session has expired."),
    "10": (403, "OAuthException", 10, None, "Application does not have permission for this action"),
    "100": (400, "OAuthException", 100, None, "Invalid parameter"),
    "2534014": (400, "IGApiException", 100, 2534014, "No matching user found"),
    "230": (400, "IGApiException", 230, None, "User consent is required to access user profile"),
    "551": (400, "OAuthException", 551, None, "This person isn't available right now."),
    "4": (400, "OAuthException", 4, None, "Application request limit reached"),
    "613": (400, "OAuthException", 613, None, "Calls to this api have exceeded the rate limit."),
    "1": (500, "OAuthException", 1, None, "An unknown error has occurred."),
    "2": (503, "OAuthException", 2, None, "Service temporarily unavailable"),
}


def graph_error(name: str, message: str = "") -> tuple[int, dict, bytes]:
    status, etype, code, subcode, text = ERRORS.get(
        str(name), (400, "OAuthException", int(name) if str(name).isdigit() else 100, None, "Error")
    )
    error: dict[str, Any] = {
        "message": message or text,
        "type": etype,
        "code": code,
        "fbtrace_id": secrets.token_urlsafe(9),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return json_response(status, {"error": error})


def error(code: str = "", message: str = "") -> tuple[int, dict, bytes]:
    return graph_error(code or DEFAULT_ERROR, message)


def _token(headers: dict, query: dict) -> str:
    auth = headers.get("authorization", "")
    return auth.removeprefix("Bearer ").strip() or query.get("access_token", "")


def _token_ids(token: str, instagram_host: bool) -> tuple[str, str] | None:
    """(page id, Instagram account id) the token speaks for, or None when the host refuses
    it (an Instagram token on graph.facebook.com, or the other way round)."""
    pieces = token.split(".")
    if instagram_host and pieces[0] == "IGAA" and len(pieces) >= 3:
        return "", pieces[1]
    if not instagram_host and pieces[0] == "EAA" and len(pieces) >= 4:
        return pieces[1], pieces[2]
    return None


def _send(data: Any, node: str, page_id: str, ig_id: str) -> tuple[int, dict, bytes]:
    if node not in ("me", page_id or ig_id):
        return graph_error("10")
    if not isinstance(data, dict):
        return graph_error("100", "Invalid JSON body.")
    recipient = (data.get("recipient") or {}).get("id")
    text = (data.get("message") or {}).get("text", "")
    tag = data.get("tag")
    if not recipient or not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        return graph_error("100")
    if tag is not None and (tag != "HUMAN_AGENT" or data.get("messaging_type") != "MESSAGE_TAG"):
        return graph_error("100", "Invalid tag.")
    return json_response(
        200,
        {
            "recipient_id": recipient,
            "message_id": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" + secrets.token_urlsafe(24),
        },
    )


def handle(
    fakes, method: str, path: str, query: dict, headers: dict, data: Any
) -> tuple[int, dict, bytes]:
    """``path`` is relative to ``/instagram``."""
    parts = [p for p in path.split("/") if p]
    if method == "GET" and parts[:1] == ["cdn"]:  # attachment URLs: public CDN
        return 200, {"Content-Type": "image/png"}, PNG_1PX
    instagram_host = parts[:1] == [INSTAGRAM_HOST]
    if instagram_host:
        parts = parts[1:]
    token = _token(headers, query)
    ids = _token_ids(token, instagram_host)
    if ids is None or fakes.store.is_revoked(token):
        return graph_error("190")
    page_id, ig_id = ids
    if method == "GET" and parts == ["refresh_access_token"]:
        if query.get("grant_type") != "ig_refresh_token":
            return graph_error("100", "Unsupported grant_type.")
        return json_response(
            200,
            {
                "access_token": f"IGAA.{ig_id}.{secrets.token_urlsafe(12)}",
                "token_type": "bearer",
                "expires_in": 5184000,
            },
        )
    if len(parts) < 2:
        return graph_error("100", "Unknown path.")
    answer = graph_comments.handle(
        fakes,
        method,
        parts,
        query,
        data,
        graph_error,
        api=API_PATH,
        reply_edge="replies",
        hide_key="hide",
    )
    if answer is not None:
        return answer
    node = parts[1]
    if method == "POST" and len(parts) == 3 and parts[2] == "messages":
        return _send(data, node, page_id, ig_id)
    if method != "GET" or len(parts) != 2:
        return graph_error("100", "Unsupported request.")
    fields = query.get("fields", "")
    if node == "me" and instagram_host:
        return json_response(
            200,
            {
                "user_id": ig_id,
                "username": f"sim_{ig_id[-6:]}",
                "name": "Simulated shop",
                "id": "9" + digits(ig_id, 16),
            },
        )
    if "instagram_business_account" in fields:
        if node != page_id:
            return graph_error("100", "Object does not exist or missing permissions.")
        return json_response(
            200,
            {
                "id": page_id,
                "name": f"Simulated page {page_id}",
                "instagram_business_account": {"id": ig_id, "username": f"sim_{ig_id[-6:]}"},
            },
        )
    if "name" in fields or "username" in fields:
        name = fakes.store.get_profile(node)
        if name is None:
            return graph_error("2534014")
        return json_response(
            200,
            {
                "name": name,
                "username": "".join(c for c in name.lower() if c.isalnum())[:30] or "customer",
                "profile_pic": f"{fakes.public_base_url}{fakes.prefix}/instagram/cdn/{node}.png",
                "id": node,
            },
        )
    return graph_error("100", "Unsupported get request.")


# --- what a simulated customer sends --------------------------------------------------------


def customer_id(name: str) -> str:
    """A stable fake IGSID for a customer name (same name → same person)."""
    return "5" + digits("ig:" + name, 15)


def before_inbound(store, name: str) -> None:
    """Instagram webhooks carry no name: register it with the fake profile API."""
    store.set_profile(customer_id(name), name)


def _envelope(account_id: str, now_ms: int, messaging: list[dict]) -> dict:
    return {
        "object": "instagram",
        "entry": [{"id": account_id, "time": now_ms, "messaging": messaging}],
    }


def inbound_payloads(
    *, account_id: str, name: str, text: str, ad_id: str = "", now_ms: int | None = None
) -> list[dict]:
    now_ms = now_ms or int(time.time() * 1000)
    message: dict[str, Any] = {
        "mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" + secrets.token_urlsafe(24),
        "text": text,
    }
    if ad_id:  # the first message after a click on a Click-to-Instagram-Direct ad
        message["referral"] = {
            "ref": "",
            "ad_id": ad_id,
            "source": "ADS",
            "type": "OPEN_THREAD",
            "ads_context_data": {"ad_title": f"Ad {ad_id}", "photo_url": ""},
        }
    event = {
        "sender": {"id": customer_id(name)},
        "recipient": {"id": account_id},
        "timestamp": now_ms,
        "message": message,
    }
    return [_envelope(account_id, now_ms, [event])]


def status_payloads(
    *, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    """Instagram sends no delivery receipts: the customer reads it (``read.mid``)."""
    now_ms = int(time.time() * 1000)
    event = {
        "sender": {"id": customer_id},
        "recipient": {"id": account_id},
        "timestamp": now_ms,
        "read": {"mid": message_id},
    }
    return [_envelope(account_id, now_ms, [event])]


def comment_payloads(
    store,
    *,
    account_id: str,
    post_id: str,
    name: str,
    text: str,
    parent_id: str = "",
    field: str = "comments",
    ad_id: str = "",
) -> list[dict]:
    """A simulated customer comments under a media: the fake keeps the comment (its author
    is the customer's IGSID, which a private reply reaches) and Instagram sends the
    ``comments`` change (``live_comments`` during a live)."""
    store.set_profile(customer_id(name), name)
    graph_comments.put_post(store, page_id=account_id, post_id=post_id, api=API_PATH)
    comment = graph_comments.put_comment(
        store,
        post_id=post_id,
        author_id=customer_id(name),
        author_name=name,
        psid=customer_id(name),
        text=text,
        parent_id=parent_id,
        api=API_PATH,
    )
    media = {"id": post_id, "media_product_type": "LIVE" if field == "live_comments" else "FEED"}
    if ad_id:
        media.update(ad_id=ad_id, ad_title=f"Ad {ad_id}")
    value = {
        "from": {"id": customer_id(name), "username": name.lower().replace(" ", "_")},
        "media": media,
        "id": comment["id"],
        "text": text,
    }
    if parent_id:
        value["parent_id"] = parent_id
    now = int(time.time())
    return [
        {
            "object": "instagram",
            "entry": [
                {"id": account_id, "time": now, "changes": [{"field": field, "value": value}]}
            ],
        }
    ]
