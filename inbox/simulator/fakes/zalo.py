"""The simulator's Zalo: the OA Open API (``access_token`` header, HTTP 200 with a non-zero
``error`` for failures), OAuth v4 with PKCE and single-use refresh tokens, and the webhooks a
simulated Zalo user produces.

Codes from the stand-in consent screen are ``zsim.<oa_id>.<code_challenge>``: the token call
must bring the verifier of that challenge. Access tokens ``zat.<oa_id>.…``, refresh tokens
``zrt.<oa_id>.…``; a refresh spends the old refresh token (a second use is refused).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from django.conf import settings

from .wire import PNG_1PX, digits, json_response

API_PATH = "zalo"
AUTHORIZE_URL_NAME = "simulator_zalo_authorize"
FREE_REPLIES = 8
DEFAULT_ERROR = "-32"

ERROR_TEXT = {
    "-32": "Reached limit call api",
    "-201": "Parameters are invalid",
    "-204": "Official Account is disabled",
    "-211": "Out of quota",
    "-213": "User has not followed OA",
    "-216": "Access token is invalid",
    "-217": "User has blocked invitation",
    "-220": "Access token has expired or has been removed",
    "-224": "OA needs the tier package",
    "-227": "User is banned or inactive for more than 45 days",
    "-230": "User has not interacted with the OA in the past 7 days",
    "-233": "Type of message is not supported",
    "-234": "Message cannot be sent at night",
}


def zalo_error(code: str, message: str = "") -> tuple[int, dict, bytes]:
    text = message or ERROR_TEXT.get(str(code), "Error")
    return json_response(200, {"error": int(code), "message": text})


def error(code: str = "", message: str = "") -> tuple[int, dict, bytes]:
    """Zalo's error shape: HTTP 200 with a non-zero ``error``."""
    return zalo_error(code or DEFAULT_ERROR, message)


def _ok(data: dict) -> tuple[int, dict, bytes]:
    return json_response(200, {"error": 0, "message": "Success", "data": data})


def _challenge(verifier: str) -> str:
    import base64

    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _token_pair(oa_id: str) -> dict:
    return {
        "access_token": f"zat.{oa_id}.{secrets.token_hex(16)}",
        "refresh_token": f"zrt.{oa_id}.{secrets.token_hex(16)}",
        "expires_in": "90000",
    }


def _oauth_error(code: int, description: str) -> tuple[int, dict, bytes]:
    return json_response(
        200, {"error": code, "error_name": "invalid_grant", "error_description": description}
    )


def _oauth(fakes, headers: dict, data: Any) -> tuple[int, dict, bytes]:
    if not isinstance(data, dict) or not headers.get("secret_key") or not data.get("app_id"):
        return _oauth_error(-14002, "app_id and the secret_key header are required")
    grant = data.get("grant_type")
    if grant == "authorization_code":
        code = str(data.get("code", ""))
        parts = code.split(".")
        if len(parts) != 3 or parts[0] != "zsim" or fakes.store.is_revoked("zalo-code:" + code):
            return _oauth_error(-14014, "Invalid authorization code")
        if _challenge(str(data.get("code_verifier", ""))) != parts[2]:
            return _oauth_error(-14019, "Invalid code verifier")
        fakes.store.revoke_token("zalo-code:" + code)  # single use
        return json_response(200, _token_pair(parts[1]))
    if grant == "refresh_token":
        old = str(data.get("refresh_token", ""))
        if not old.startswith("zrt.") or fakes.store.is_revoked(old):
            return _oauth_error(-14014, "Invalid refresh token")
        fakes.store.revoke_token(old)  # single use: the pair is replaced
        return json_response(200, _token_pair(old.split(".")[1]))
    return _oauth_error(-14003, "Invalid grant_type")


def _sends_to(fakes, user_id: str) -> int:
    count = 0
    for r in fakes.store.requests():
        if r["path"].endswith("/v3.0/oa/message/cs") and r.get("status") == 200:
            body = r.get("json") or {}
            if isinstance(body, dict) and (body.get("recipient") or {}).get("user_id") == user_id:
                count += 1
    return count


def handle(
    fakes, method: str, path: str, query: dict, headers: dict, data: Any
) -> tuple[int, dict, bytes]:
    """``path`` is relative to ``/zalo``."""
    if method == "GET" and path.startswith("/cdn/"):
        return 200, {"Content-Type": "image/png"}, PNG_1PX
    if method == "POST" and path == "/oauth/v4/oa/access_token":
        return _oauth(fakes, headers, data)
    token = headers.get("access_token", "")
    if not token.startswith("zat.") or fakes.store.is_revoked(token):
        return zalo_error("-216")
    oa_id = token.split(".")[1]
    if method == "GET" and path == "/v2.0/oa/getoa":
        return _ok(
            {"oa_id": oa_id, "name": f"Zalo OA {oa_id[-4:]}", "description": "", "avatar": ""}
        )
    if method == "GET" and path == "/v3.0/oa/user/detail":
        try:
            user_id = str(json.loads(query.get("data", "{}")).get("user_id", ""))
        except (ValueError, AttributeError):
            return zalo_error("-201")
        name = fakes.store.get_profile(user_id) or f"Zalo user {user_id[-4:]}"
        return _ok({"user_id": user_id, "display_name": name, "user_is_follower": True})
    if method == "POST" and path == "/v3.0/oa/quota/message":
        user_id = str((data or {}).get("user_id", "")) if isinstance(data, dict) else ""
        if not user_id:
            return zalo_error("-201")
        remain = max(0, FREE_REPLIES - _sends_to(fakes, user_id))
        return _ok({"cs_reply": {"remain": remain, "total": FREE_REPLIES}})
    if method == "POST" and path == "/v3.0/oa/message/cs":
        if not isinstance(data, dict):
            return zalo_error("-201")
        user_id = (data.get("recipient") or {}).get("user_id")
        text = (data.get("message") or {}).get("text")
        if not user_id or not isinstance(text, str) or not text or len(text) > 2000:
            return zalo_error("-201")
        return _ok(
            {
                "message_id": secrets.token_hex(16),
                "user_id": user_id,
                "quota": {
                    "quota_type": "reply",
                    "remain": max(0, FREE_REPLIES - 1 - _sends_to(fakes, user_id)),
                },
            }
        )
    return zalo_error("-201", f"Unknown endpoint {path}")


# --- webhooks a simulated user produces -------------------------------------------------------


def customer_id(name: str) -> str:
    """A stable fake Zalo user id for a name (same name → same person)."""
    return "8" + digits("zalo:" + name, 18)


def before_inbound(store, name: str) -> None:
    """Zalo webhooks carry no name: register it with the fake profile API."""
    store.set_profile(customer_id(name), name)


def _event(event_name: str, sender: str, recipient: str, message: dict, now_ms: int) -> dict:
    return {
        "app_id": settings.ZALO_APP_ID,
        "user_id_by_app": digits("app:" + sender, 18),
        "event_name": event_name,
        "timestamp": str(now_ms),
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "message": message,
    }


def text_event(account_id: str, user: str, text: str, now_ms: int) -> dict:
    return _event(
        "user_send_text", user, account_id, {"text": text, "msg_id": secrets.token_hex(16)}, now_ms
    )


def inbound_payloads(
    *, account_id: str, name: str, text: str, ad_id: str = "", now_ms: int | None = None
) -> list[dict]:
    """A text message (Zalo OA webhooks carry no ad referral: ``ad_id`` is ignored)."""
    now_ms = now_ms or int(time.time() * 1000)
    return [text_event(account_id, customer_id(name), text, now_ms)]


def status_payloads(
    *, account_id: str, customer_id: str, conversation_id: str, message_id: str
) -> list[dict]:
    """Zalo echoes our send (``oa_send_text``), then the phone receives and the user reads."""
    now_ms = int(time.time() * 1000)
    return [
        _event("oa_send_text", account_id, customer_id, {"msg_id": message_id, "text": ""}, now_ms),
        _event(
            "user_received_message", account_id, customer_id, {"msg_id": message_id}, now_ms + 1
        ),
        _event("user_seen_message", account_id, customer_id, {"msg_ids": [message_id]}, now_ms + 2),
    ]
