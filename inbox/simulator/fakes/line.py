"""The simulator's LINE Messaging API, in LINE's wire format (bearer channel access tokens,
``{message, details}`` errors, reply tokens that answer once and expire, push retry keys that
answer a repeat with 409), and the webhooks a simulated LINE customer produces.

Tokens: any channel access token not revoked is accepted; the bot's user id is derived from it
(``bot_user_id``). Reply tokens are issued by ``inbound_payloads`` as ``rt<ms>.<random>`` and
refused after ``REPLY_TOKEN_SECONDS`` or a first use.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

from .wire import PNG_1PX, json_response

API_PATH = "line"
REPLY_TOKEN_SECONDS = 60
MONTHLY_QUOTA = 500
DEFAULT_ERROR = "500"

ERRORS = {
    # code: (http status, message)
    "400": (400, "The request body has 1 error(s)"),
    "bad_recipient": (
        400,
        "The property, 'to', in the request body is invalid (line: -, column: -)",
    ),
    "invalid_reply_token": (400, "Invalid reply token"),
    "401": (401, "Authentication failed due to the following reason: invalid token."),
    "403": (403, "Access to this API is not available for your account"),
    "429": (429, "The API rate limit has been exceeded. Try again later."),
    "monthly_limit": (429, "You have reached your monthly limit."),
    "500": (500, "Internal server error"),
}


def line_error(code: str, message: str = "") -> tuple[int, dict, bytes]:
    status, text = ERRORS.get(str(code), (400, "The request body has 1 error(s)"))
    body: dict[str, Any] = {"message": message or text}
    if status == 400 and code == "400":
        body["details"] = [{"message": "May not be empty", "property": "messages[0].text"}]
    return json_response(status, body)


def error(code: str = "", message: str = "") -> tuple[int, dict, bytes]:
    return line_error(code or DEFAULT_ERROR, message)


def bot_user_id(token: str) -> str:
    return "U" + hashlib.sha256(("bot:" + token).encode()).hexdigest()[:32]


def _sent(message_id: str | None = None) -> dict:
    message_id = message_id or str(secrets.randbelow(10**17) + 10**17)
    return {"sentMessages": [{"id": message_id, "quoteToken": "q" + secrets.token_urlsafe(12)}]}


def _messages_ok(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return False
    messages = data["messages"]
    return 1 <= len(messages) <= 5 and all(
        isinstance(m, dict)
        and m.get("type") == "text"
        and isinstance(m.get("text"), str)
        and 0 < len(m["text"]) <= 5000
        for m in messages
    )


def _pushes(fakes) -> int:
    return sum(
        1
        for r in fakes.store.requests()
        if r["path"].endswith("/v2/bot/message/push") and r.get("status") == 200
    )


def handle(
    fakes, method: str, path: str, query: dict, headers: dict, data: Any
) -> tuple[int, dict, bytes]:
    """``path`` is relative to ``/line``."""
    if method == "GET" and path.startswith("/stickershop/"):
        return 200, {"Content-Type": "image/png"}, PNG_1PX
    token = headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token or fakes.store.is_revoked(token):
        return line_error("401")
    if method == "GET":
        if path == "/v2/bot/info":
            user_id = bot_user_id(token)
            return json_response(
                200,
                {
                    "userId": user_id,
                    "basicId": "@" + user_id[1:9],
                    "displayName": f"LINE shop {user_id[1:5]}",
                    "chatMode": "bot",
                    "markAsReadMode": "manual",
                },
            )
        if path.startswith("/v2/bot/profile/"):
            user_id = path.removeprefix("/v2/bot/profile/")
            name = fakes.store.get_profile(user_id) or f"LINE user {user_id[-4:]}"
            return json_response(200, {"userId": user_id, "displayName": name, "language": "th"})
        if path == "/v2/bot/message/quota":
            return json_response(200, {"type": "limited", "value": MONTHLY_QUOTA})
        if path == "/v2/bot/message/quota/consumption":
            return json_response(200, {"totalUsage": _pushes(fakes)})
        if path.startswith("/v2/bot/message/") and path.endswith("/content"):
            return 200, {"Content-Type": "image/png"}, PNG_1PX
        return json_response(404, {"message": "Not found"})
    if method != "POST":
        return json_response(405, {"message": "Method not allowed"})
    if path == "/v2/bot/message/reply":
        if "x-line-retry-key" in headers:
            return json_response(400, {"message": "X-Line-Retry-Key is not supported here"})
        reply_token = data.get("replyToken") if isinstance(data, dict) else None
        if not isinstance(reply_token, str) or not _messages_ok(data):
            return line_error("400")
        if not _reply_token_good(fakes, reply_token):
            return line_error("invalid_reply_token")
        fakes.store.revoke_token("line-reply:" + reply_token)
        return json_response(200, _sent())
    if path == "/v2/bot/message/push":
        if not isinstance(data, dict) or not _messages_ok(data):
            return line_error("400")
        to = data.get("to")
        if not isinstance(to, str) or not to.startswith("U") or len(to) != 33:
            return line_error("bad_recipient")
        key = headers.get("x-line-retry-key", "")
        if key:
            try:
                uuid.UUID(key)
            except ValueError:
                return json_response(400, {"message": "Invalid X-Line-Retry-Key"})
            if fakes.store.is_revoked("line-retry:" + key):
                return (
                    409,
                    {"Content-Type": "application/json", "x-line-accepted-request-id": key},
                    b'{"message":"The retry key is already accepted"}',
                )
            fakes.store.revoke_token("line-retry:" + key)
        return json_response(200, _sent())
    return json_response(404, {"message": "Not found"})


def _reply_token_good(fakes, token: str) -> bool:
    if fakes.store.is_revoked("line-reply:" + token):
        return False
    issued, _, rest = token.removeprefix("rt").partition(".")
    if not issued.isdigit() or not rest:
        return False
    return time.time() * 1000 - int(issued) <= REPLY_TOKEN_SECONDS * 1000


# --- webhooks a simulated customer produces ---------------------------------------------------


def customer_id(name: str) -> str:
    """A stable fake LINE user id for a customer name (same name → same person)."""
    return "U" + hashlib.sha256(("line:" + name).encode()).hexdigest()[:32]


def before_inbound(store, name: str) -> None:
    """LINE webhooks carry no name: register it with the fake profile API."""
    store.set_profile(customer_id(name), name)


def reply_token(now_ms: int) -> str:
    return f"rt{now_ms}.{secrets.token_hex(16)}"


def event_id() -> str:
    """A ULID-shaped webhookEventId."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "01" + "".join(secrets.choice(alphabet) for _ in range(24))


def _event(kind: str, user: str, now_ms: int, **extra: Any) -> dict:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": now_ms,
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id(),
        "deliveryContext": {"isRedelivery": False},
        **extra,
    }


def message_event(user: str, text: str, now_ms: int) -> dict:
    return _event(
        "message",
        user,
        now_ms,
        replyToken=reply_token(now_ms),
        message={
            "id": str(secrets.randbelow(10**17) + 10**17),
            "type": "text",
            "quoteToken": "q" + secrets.token_urlsafe(16),
            "text": text,
        },
    )


def inbound_payloads(
    *, account_id: str, name: str, text: str, ad_id: str = "", now_ms: int | None = None
) -> list[dict]:
    """A text message (LINE has no ad referrals: ``ad_id`` is ignored)."""
    now_ms = now_ms or int(time.time() * 1000)
    return [
        {
            "destination": account_id,
            "events": [message_event(customer_id(name), text, now_ms)],
        }
    ]


def status_payloads(
    *, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    return []  # LINE sends no delivery or read statuses for 1:1 chats
