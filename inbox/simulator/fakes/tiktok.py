"""The simulator's TikTok: its Business API (OAuth, send, media) speaking TikTok's real wire
format, and the webhooks a simulated TikTok customer produces."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from . import tiktok_comments
from .wire import PNG_1PX, digits, json_response

API_PATH = "tiktok"
AUTHORIZE_URL_NAME = "simulator_tiktok_authorize"
TIKTOK_SCOPES = (
    "user.info.basic,message.list.read,message.list.send,message.list.manage,"
    "comment.list,comment.list.manage,video.list"
)
DEFAULT_ERROR = "51065"

TIKTOK_ERROR_TEXT = {
    "40001": "No permission to operate this business account.",
    "40002": "Invalid parameter.",
    "40007": "Resource not found.",
    "40064": "Message blocked.",
    "40100": "Too many requests. Please retry later.",
    "40102": "Access token has expired.",
    "40105": "Access token is invalid.",
    "51065": "Internal service error, please retry.",
}


def _request_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(8).upper()


def _tiktok_ok(data: dict) -> tuple[int, dict, bytes]:
    return json_response(
        200, {"code": 0, "message": "OK", "request_id": _request_id(), "data": data}
    )


def tiktok_error(code: str, message: str = "") -> tuple[int, dict, bytes]:
    text = message or TIKTOK_ERROR_TEXT.get(str(code), "Error.")
    return json_response(
        200, {"code": int(code), "message": text, "request_id": _request_id(), "data": {}}
    )


def error(code: str = "", message: str = "") -> tuple[int, dict, bytes]:
    """TikTok's error shape: HTTP 200 with a non-zero ``code``."""
    return tiktok_error(code or DEFAULT_ERROR, message)


def handle(
    fakes, method: str, path: str, query: dict, headers: dict, data: Any
) -> tuple[int, dict, bytes]:
    """``path`` is relative to ``/tiktok``."""
    if method == "GET" and path.startswith("/media/"):
        return 200, {"Content-Type": "image/png"}, PNG_1PX
    api = path.split("?")[0].removeprefix("/open_api/v1.3/")
    if api.startswith(("business/comment/", "business/video/")):
        token = headers.get("access-token", "")
        if not token.startswith("act.") or fakes.store.is_revoked(token):
            return tiktok_error("40105")
        answer = tiktok_comments.handle(fakes, method, api, query, data, _tiktok_ok, tiktok_error)
        if answer is not None:
            return answer
    if method != "POST":
        return json_response(405, {"code": 40002, "message": "Method not allowed."})
    if not isinstance(data, dict):
        return tiktok_error("40002", "Request body is not valid JSON.")
    api = path.removeprefix("/open_api/v1.3/")
    if api.startswith("tt_user/oauth2/"):
        return _oauth(fakes, api.removeprefix("tt_user/oauth2/").strip("/"), data)
    token = headers.get("access-token", "")
    if not token.startswith("act.") or fakes.store.is_revoked(token):
        return tiktok_error("40105")
    if api == "business/message/send/":
        body = (data.get("text") or {}).get("body", "")
        if (
            not data.get("business_id")
            or data.get("recipient_type") != "CONVERSATION"
            or not data.get("recipient")
            or data.get("message_type") != "TEXT"
            or not body
            or len(body) > 6000
        ):
            return tiktok_error("40002")
        return _tiktok_ok({"message": {"message_id": "msg." + secrets.token_hex(12)}})
    if api == "business/message/media/download/":
        media_id = data.get("media_id")
        if not media_id:
            return tiktok_error("40002")
        url = f"{fakes.public_base_url}{fakes.prefix}/tiktok/media/{media_id}"
        return _tiktok_ok({"download_url": url})
    return tiktok_error("40002", f"Unknown endpoint {api}.")


def _oauth(fakes, action: str, data: dict) -> tuple[int, dict, bytes]:
    if not data.get("client_id") or not data.get("client_secret"):
        return tiktok_error("40002", "client_id and client_secret are required.")
    if action == "token":
        code = str(data.get("auth_code", ""))
        if data.get("grant_type") != "authorization_code" or not code:
            return tiktok_error("40002", "Invalid auth_code.")
        open_id = code.split(".")[1] if code.startswith("sim.") else "biz" + secrets.token_hex(6)
        scope = "user.info.basic" if code.startswith("limited") else TIKTOK_SCOPES
        return _tiktok_ok(_tokens(open_id, scope))
    if action == "refresh_token":
        old = str(data.get("refresh_token", ""))
        if (
            data.get("grant_type") != "refresh_token"
            or not old.startswith("rft.")
            or fakes.store.is_revoked(old)
        ):
            return tiktok_error("40105", "Refresh token is invalid.")
        fakes.store.revoke_token(old)  # rotation: the old refresh token is spent
        return _tiktok_ok(_tokens(old.split(".")[1], TIKTOK_SCOPES))
    if action == "revoke":
        token = str(data.get("access_token", ""))
        if not token:
            return tiktok_error("40002")
        fakes.store.revoke_token(token)
        return _tiktok_ok({})
    return tiktok_error("40002", f"Unknown endpoint {action}.")


def _tokens(open_id: str, scope: str) -> dict:
    return {
        "open_id": open_id,
        "scope": scope,
        "access_token": f"act.{open_id}.{secrets.token_hex(16)}",
        "expires_in": 86400,
        "refresh_token": f"rft.{open_id}.{secrets.token_hex(16)}",
        "refresh_token_expires_in": 31536000,
        "token_type": "Bearer",
    }


# --- webhooks a simulated customer produces --------------------------------------------------


def customer_id(name: str) -> str:
    """A stable fake id for a customer name (same name → same person)."""
    return "-000sim" + hashlib.sha256(name.encode()).hexdigest()[:16]


def before_inbound(store, name: str) -> None:
    """Nothing to prepare: TikTok webhooks carry the customer's name."""


def _tiktok_event(event: str, business_id: str, content: dict) -> dict:
    return {
        "client_key": "parley-simulator",
        "event": event,
        "create_time": int(time.time()),
        "user_openid": business_id,
        "content": json.dumps(content, ensure_ascii=False, separators=(",", ":")),
    }


def inbound_payloads(
    *, account_id: str, name: str, text: str, ad_id: str = "", now_ms: int | None = None
) -> list[dict]:
    """The webhook(s) a customer message produces; with ``ad_id`` the ad referral first."""
    now_ms = now_ms or int(time.time() * 1000)
    customer = customer_id(name)
    base = {
        "conversation_id": f"0:1:{customer}:{account_id}",
        "timestamp": now_ms,
        "from": name,
        "from_user": {"id": customer, "role": "personal_account"},
        "to": "business",
        "to_user": {"id": account_id, "role": "business_account"},
    }
    payloads = []
    if ad_id:
        referral = {
            "source": "ad",
            "ad": {
                "advertiser_id": "7000000000000000001",
                "ad_id": ad_id,
                "timestamp": now_ms - 1000,
                "ad_name": f"Ad {ad_id}",
                "embed_url": "",
                "message_material_id": "",
            },
        }
        payloads.append(
            _tiktok_event(
                "im_referral_msg",
                account_id,
                {**base, "timestamp": now_ms - 1, "referral": referral},
            )
        )
    content = {
        **base,
        "message_id": str(now_ms) + digits(secrets.token_hex(8), 6),
        "type": "text",
        "text": {"body": text},
    }
    payloads.append(_tiktok_event("im_receive_msg", account_id, content))
    return payloads


def status_payloads(
    *, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    """TikTok reports no delivery: the customer reading the conversation."""
    now_ms = int(time.time() * 1000)
    content = {
        "conversation_id": conversation_id,
        "timestamp": now_ms,
        "from_user": {"id": customer_id, "role": "personal_account"},
        "to_user": {"id": account_id, "role": "business_account"},
        "read": {"last_read_timestamp": now_ms},
    }
    return [_tiktok_event("im_mark_read_msg", account_id, content)]


def comment_payloads(
    store, *, account_id: str, post_id: str, name: str, text: str, parent_id: str = ""
) -> list[dict]:
    """A simulated customer comments on a video: the fake keeps it (the list API will answer
    it) and TikTok sends ``comment.update`` / ``insert`` without the author."""
    tiktok_comments.put_video(store, business_id=account_id, video_id=post_id)
    comment = tiktok_comments.put_comment(
        store,
        video_id=post_id,
        user_id=customer_id(name),
        name=name,
        text=text,
        parent_id=parent_id,
    )
    return [tiktok_comments.comment_event(account_id, comment, "insert")]
