"""The simulator's Meta Graph API (WhatsApp Cloud API and Messenger): sends, media, the page
token check and the Messenger profile lookup, in Graph's real wire format."""

from __future__ import annotations

import secrets
from typing import Any

from . import graph_comments, whatsapp_templates
from .wire import PNG_1PX, json_response

API_PATH = "graph"
DEFAULT_ERROR = "2"

GRAPH_ERRORS = {
    # code: (http status, type, message)
    "131047": (400, "OAuthException", "Re-engagement message"),
    "132000": (400, "OAuthException", "Number of parameters does not match"),
    "132001": (404, "OAuthException", "Template name does not exist in the translation"),
    "132015": (400, "OAuthException", "Template is Paused"),
    "132016": (400, "OAuthException", "Template is disabled"),
    "131026": (400, "OAuthException", "Message undeliverable"),
    "130429": (400, "OAuthException", "Rate limit hit"),
    "131056": (400, "OAuthException", "(Business Account, Consumer Account) pair rate limit hit"),
    "4": (400, "OAuthException", "Application request limit reached"),
    "613": (400, "OAuthException", "Calls to this api have exceeded the rate limit."),
    "190": (401, "OAuthException", "Error validating access token"),
    "10": (403, "OAuthException", "Application does not have permission for this action"),
    "100": (400, "OAuthException", "Invalid parameter"),
    "551": (400, "OAuthException", "This person isn't available right now."),
    "2": (503, "OAuthException", "Service temporarily unavailable"),
    "10900": (400, "OAuthException", "(#10900) Activity already replied to"),
    "10903": (400, "OAuthException", "(#10903) This activity can't be replied to"),
}


def graph_error(code: str, message: str = "") -> tuple[int, dict, bytes]:
    status, etype, text = GRAPH_ERRORS.get(str(code), (400, "OAuthException", "Error"))
    return json_response(
        status,
        {
            "error": {
                "message": message or f"({code}) {text}",
                "type": etype,
                "code": int(code),
                "error_data": {"details": message or text},
                "fbtrace_id": secrets.token_urlsafe(9),
            }
        },
    )


def _whatsapp_sent(to: str) -> tuple[int, dict, bytes]:
    return json_response(
        200,
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": "wamid." + secrets.token_urlsafe(24)}],
        },
    )


def error(code: str = "", message: str = "") -> tuple[int, dict, bytes]:
    return graph_error(code or DEFAULT_ERROR, message)


def handle(
    fakes, method: str, path: str, query: dict, headers: dict, data: Any
) -> tuple[int, dict, bytes]:
    """``path`` is relative to ``/graph``."""
    parts = [p for p in path.split("/") if p]
    if method == "GET" and parts[:1] == ["cdn"]:  # Messenger attachment URLs: public CDN
        return 200, {"Content-Type": "image/png"}, PNG_1PX
    auth = headers.get("authorization", "")
    token = auth.removeprefix("Bearer ").strip() or query.get("access_token", "")
    if not token.startswith("EAA") or fakes.store.is_revoked(token):
        return graph_error("190")
    if method == "GET" and parts[:1] == ["media-download"] and len(parts) == 2:
        return 200, {"Content-Type": "image/png"}, PNG_1PX
    if len(parts) < 2:
        return graph_error("100", "Unknown path.")
    answer = graph_comments.handle(fakes, method, parts, query, data, graph_error)
    if answer is not None:
        return answer
    node = parts[1]
    if method == "GET" and len(parts) == 3 and parts[2] == "message_templates":
        return whatsapp_templates.template_list(fakes, node, query, parts[0])
    if method == "GET" and len(parts) == 2:
        if node == "me":
            pieces = token.split(".")
            page_id = pieces[1] if len(pieces) > 2 else "0"
            return json_response(200, {"id": page_id, "name": f"Simulated page {page_id}"})
        if "first_name" in query.get("fields", ""):
            name = fakes.store.get_profile(node) or f"Customer {node[-4:]}"
            first, _, last = name.partition(" ")
            return json_response(
                200,
                {
                    "first_name": first,
                    "last_name": last,
                    "profile_pic": f"{fakes.public_base_url}{fakes.prefix}/graph/cdn/{node}.png",
                    "id": node,
                },
            )
        if "fields" in query:
            return json_response(
                200,
                {
                    "id": node,
                    "display_phone_number": "+1 555 010 0000",
                    "verified_name": "Parley Simulator",
                },
            )
        return json_response(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{fakes.public_base_url}{fakes.prefix}/graph/media-download/{node}",
                "mime_type": "image/png",
                "sha256": "0" * 64,
                "file_size": len(PNG_1PX),
                "id": node,
            },
        )
    if method == "POST" and len(parts) == 3 and parts[2] == "messages":
        if not isinstance(data, dict):
            return graph_error("100", "Invalid JSON body.")
        if data.get("messaging_product") == "whatsapp" and data.get("type") == "template":
            if not data.get("to"):
                return graph_error("100")
            problem = whatsapp_templates.send_problem(fakes, node, data)
            if problem is not None:
                return graph_error(*problem)
            return _whatsapp_sent(data["to"])
        if data.get("messaging_product") == "whatsapp":
            body = (data.get("text") or {}).get("body", "")
            if not data.get("to") or data.get("type") != "text" or not body or len(body) > 4096:
                return graph_error("100")
            return _whatsapp_sent(data["to"])
        recipient = (data.get("recipient") or {}).get("id")
        text = (data.get("message") or {}).get("text", "")
        mtype = data.get("messaging_type")
        if (
            not recipient
            or not text
            or len(text) > 2000
            or mtype not in ("RESPONSE", "UPDATE", "MESSAGE_TAG")
            or (mtype == "MESSAGE_TAG" and not data.get("tag"))
        ):
            return graph_error("100")
        return json_response(
            200, {"recipient_id": recipient, "message_id": "m_" + secrets.token_urlsafe(24)}
        )
    return graph_error("100", "Unsupported request.")
