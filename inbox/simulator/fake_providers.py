"""A framework-free fake of the providers' APIs, speaking their real formats.

``FakeProviders(store)`` is a request handler ``(method, path, headers, body) -> (status,
headers, body)``. Paths (after an optional mount ``prefix``):

- ``/tiktok/open_api/v1.3/tt_user/oauth2/{token,refresh_token,revoke}/``
- ``/tiktok/open_api/v1.3/business/message/send/``
- ``/tiktok/open_api/v1.3/business/message/media/download/`` and ``GET /tiktok/media/<id>``
- ``/graph/<version>/<id>/messages`` (WhatsApp and Messenger sends)
- ``GET /graph/<version>/me`` (page token check), ``GET /graph/<version>/<id>`` (phone
  number with ``fields=...``, media info without), ``GET /graph/media-download/<id>`` (bearer),
  ``GET /graph/cdn/<name>`` (public, like Messenger's attachment URLs)

Tokens the fake accepts: TikTok access tokens ``act.<open_id>.<random>`` (refresh tokens
``rft.…``), which it issues itself; Graph tokens starting with ``EAA`` — ``EAA.<page_id>.…``
answers ``/me`` with that page id. ``GET /graph/<v>/<psid>?fields=first_name,...`` answers
the name registered with ``store.set_profile`` (the simulator registers its customers).
OAuth codes ``sim.<open_id>`` give that open id; a code starting with ``limited`` grants only
``user.info.basic`` (to exercise the scope check).

Failure injection: ``inject(kind, count=1, code=None, provider=None, path_contains=None)``
makes the next ``count`` matching requests fail with ``kind`` = ``"http_500"``,
``"timeout"`` (the handler raises ``SimulatedTimeout``) or ``"error"`` (the provider's own
error body for ``code``: TikTok HTTP 200 with a non-zero ``code``, Graph HTTP 400 with an
``error`` object). Every request is recorded in the store; the Django phase swaps in a store
backed by the database so the web process and the worker see the same state.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4n8YAAAPNAWbDbP9aAAAAAElFTkSuQmCC"
)
TIKTOK_SCOPES = "user.info.basic,message.list.read,message.list.send,message.list.manage"
JSON = {"Content-Type": "application/json"}

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
GRAPH_ERRORS = {
    # code: (http status, type, message)
    "131047": (400, "OAuthException", "Re-engagement message"),
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
}


class SimulatedTimeout(Exception):
    """Raised by the handler when a timeout was injected."""


@dataclass
class Failure:
    kind: str  # http_500 | timeout | error
    code: str = ""
    provider: str = ""  # "", "tiktok" or "graph"
    path_contains: str = ""

    def matches(self, provider: str, path: str) -> bool:
        return (not self.provider or self.provider == provider) and (
            not self.path_contains or self.path_contains in path
        )


class FakeStore(Protocol):
    def record(self, entry: dict) -> None: ...
    def requests(self) -> list[dict]: ...
    def add_failure(self, failure: Failure, count: int) -> None: ...
    def take_failure(self, provider: str, path: str) -> Failure | None: ...
    def revoke_token(self, token: str) -> None: ...
    def is_revoked(self, token: str) -> bool: ...
    def set_profile(self, user_id: str, name: str) -> None: ...
    def get_profile(self, user_id: str) -> str | None: ...
    def clear(self) -> None: ...


class MemoryStore:
    """In-process store (unit tests, the single-process simulator)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._failures: list[Failure] = []
        self._revoked: set[str] = set()
        self._profiles: dict[str, str] = {}

    def record(self, entry: dict) -> None:
        with self._lock:
            self._requests.append(entry)

    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    def add_failure(self, failure: Failure, count: int) -> None:
        with self._lock:
            self._failures.extend(Failure(**asdict(failure)) for _ in range(count))

    def take_failure(self, provider: str, path: str) -> Failure | None:
        with self._lock:
            for i, failure in enumerate(self._failures):
                if failure.matches(provider, path):
                    return self._failures.pop(i)
        return None

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    def is_revoked(self, token: str) -> bool:
        with self._lock:
            return token in self._revoked

    def set_profile(self, user_id: str, name: str) -> None:
        with self._lock:
            self._profiles[user_id] = name

    def get_profile(self, user_id: str) -> str | None:
        with self._lock:
            return self._profiles.get(user_id)

    def clear(self) -> None:
        with self._lock:
            self._profiles.clear()
            self._requests.clear()
            self._failures.clear()
            self._revoked.clear()


def _mask(value: str) -> str:
    return value[:6] + "…" if len(value) > 6 else value


def _json(status: int, data: Any) -> tuple[int, dict, bytes]:
    return status, dict(JSON), json.dumps(data).encode()


def _request_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(8).upper()


def _tiktok_ok(data: dict) -> tuple[int, dict, bytes]:
    return _json(200, {"code": 0, "message": "OK", "request_id": _request_id(), "data": data})


def tiktok_error(code: str, message: str = "") -> tuple[int, dict, bytes]:
    text = message or TIKTOK_ERROR_TEXT.get(str(code), "Error.")
    return _json(200, {"code": int(code), "message": text, "request_id": _request_id(), "data": {}})


def graph_error(code: str, message: str = "") -> tuple[int, dict, bytes]:
    status, etype, text = GRAPH_ERRORS.get(str(code), (400, "OAuthException", "Error"))
    return _json(
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


class FakeProviders:
    def __init__(
        self,
        store: FakeStore | None = None,
        *,
        public_base_url: str = "http://simulator.invalid",
        prefix: str = "",
    ) -> None:
        self.store: FakeStore = store if store is not None else MemoryStore()
        self.public_base_url = public_base_url.rstrip("/")
        self.prefix = prefix.rstrip("/")

    # --- test helpers ---------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        code: str | int | None = None,
        provider: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        if kind not in ("http_500", "timeout", "error"):
            raise ValueError(f"unknown failure kind {kind!r}")
        failure = Failure(
            kind=kind,
            code="" if code is None else str(code),
            provider=provider or "",
            path_contains=path_contains or "",
        )
        self.store.add_failure(failure, count)

    def requests(self, path_contains: str = "") -> list[dict]:
        return [r for r in self.store.requests() if path_contains in r["path"]]

    def mock_transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            target = request.url.raw_path.decode()
            try:
                status, headers, body = self(
                    request.method, target, dict(request.headers), request.content
                )
            except SimulatedTimeout as exc:
                raise httpx.ReadTimeout("simulated timeout", request=request) from exc
            return httpx.Response(status, headers=headers, content=body)

        return httpx.MockTransport(handle)

    # --- the handler ----------------------------------------------------------------------

    def __call__(
        self, method: str, path: str, headers: dict, body: bytes
    ) -> tuple[int, dict, bytes]:
        split = urlsplit(path)
        route = split.path
        if self.prefix and route.startswith(self.prefix):
            route = route[len(self.prefix) :]
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        lower = {k.lower(): v for k, v in headers.items()}
        provider = route.strip("/").split("/", 1)[0]
        try:
            data = json.loads(body) if body else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        entry = {
            "at": time.time(),
            "method": method.upper(),
            "path": route,
            "query": query,
            "headers": {
                k: _mask(v) if k in ("access-token", "authorization") else v
                for k, v in lower.items()
                if k in ("access-token", "authorization", "content-type")
            },
            "body": body.decode("utf-8", "replace"),
            "json": data,
            "status": 0,
        }
        try:
            failure = self.store.take_failure(provider, route)
            if failure is not None:
                entry["injected"] = failure.kind
                if failure.kind == "timeout":
                    entry["status"] = -1
                    raise SimulatedTimeout(route)
                if failure.kind == "http_500":
                    result = (500, {"Content-Type": "text/plain"}, b"Internal Server Error")
                elif provider == "tiktok":
                    result = tiktok_error(failure.code or "51065")
                else:
                    result = graph_error(failure.code or "2")
            else:
                result = self._route(method.upper(), provider, route, query, lower, data)
            entry["status"] = result[0]
            return result
        finally:
            self.store.record(entry)

    def _route(
        self, method: str, provider: str, route: str, query: dict, headers: dict, data: Any
    ) -> tuple[int, dict, bytes]:
        if provider == "tiktok":
            return self._tiktok(method, route[len("/tiktok") :], headers, data)
        if provider == "graph":
            return self._graph(method, route[len("/graph") :], query, headers, data)
        return _json(404, {"error": "not found"})

    # --- TikTok ---------------------------------------------------------------------------

    def _tiktok(self, method: str, path: str, headers: dict, data: Any) -> tuple[int, dict, bytes]:
        if method == "GET" and path.startswith("/media/"):
            return 200, {"Content-Type": "image/png"}, PNG_1PX
        if method != "POST":
            return _json(405, {"code": 40002, "message": "Method not allowed."})
        if not isinstance(data, dict):
            return tiktok_error("40002", "Request body is not valid JSON.")
        api = path.removeprefix("/open_api/v1.3/")
        if api.startswith("tt_user/oauth2/"):
            return self._tiktok_oauth(api.removeprefix("tt_user/oauth2/").strip("/"), data)
        token = headers.get("access-token", "")
        if not token.startswith("act.") or self.store.is_revoked(token):
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
            url = f"{self.public_base_url}{self.prefix}/tiktok/media/{media_id}"
            return _tiktok_ok({"download_url": url})
        return tiktok_error("40002", f"Unknown endpoint {api}.")

    def _tiktok_oauth(self, action: str, data: dict) -> tuple[int, dict, bytes]:
        if not data.get("client_id") or not data.get("client_secret"):
            return tiktok_error("40002", "client_id and client_secret are required.")
        if action == "token":
            code = str(data.get("auth_code", ""))
            if data.get("grant_type") != "authorization_code" or not code:
                return tiktok_error("40002", "Invalid auth_code.")
            if code.startswith("sim."):
                open_id = code.split(".")[1]
            else:
                open_id = "biz" + secrets.token_hex(6)
            scope = "user.info.basic" if code.startswith("limited") else TIKTOK_SCOPES
            return _tiktok_ok(self._tokens(open_id, scope))
        if action == "refresh_token":
            old = str(data.get("refresh_token", ""))
            if (
                data.get("grant_type") != "refresh_token"
                or not old.startswith("rft.")
                or self.store.is_revoked(old)
            ):
                return tiktok_error("40105", "Refresh token is invalid.")
            self.store.revoke_token(old)  # rotation: the old refresh token is spent
            return _tiktok_ok(self._tokens(old.split(".")[1], TIKTOK_SCOPES))
        if action == "revoke":
            token = str(data.get("access_token", ""))
            if not token:
                return tiktok_error("40002")
            self.store.revoke_token(token)
            return _tiktok_ok({})
        return tiktok_error("40002", f"Unknown endpoint {action}.")

    @staticmethod
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

    # --- Graph (WhatsApp, Messenger) ------------------------------------------------------

    def _graph(
        self, method: str, path: str, query: dict, headers: dict, data: Any
    ) -> tuple[int, dict, bytes]:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts[:1] == ["cdn"]:  # Messenger attachment URLs: public CDN
            return 200, {"Content-Type": "image/png"}, PNG_1PX
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() or query.get("access_token", "")
        if not token.startswith("EAA") or self.store.is_revoked(token):
            return graph_error("190")
        if method == "GET" and parts[:1] == ["media-download"] and len(parts) == 2:
            return 200, {"Content-Type": "image/png"}, PNG_1PX
        if len(parts) < 2:
            return graph_error("100", "Unknown path.")
        node = parts[1]
        if method == "GET" and len(parts) == 2:
            if node == "me":
                pieces = token.split(".")
                page_id = pieces[1] if len(pieces) > 2 else "0"
                return _json(200, {"id": page_id, "name": f"Simulated page {page_id}"})
            if "first_name" in query.get("fields", ""):
                name = self.store.get_profile(node) or f"Customer {node[-4:]}"
                first, _, last = name.partition(" ")
                return _json(
                    200,
                    {
                        "first_name": first,
                        "last_name": last,
                        "profile_pic": f"{self.public_base_url}{self.prefix}/graph/cdn/{node}.png",
                        "id": node,
                    },
                )
            if "fields" in query:
                return _json(
                    200,
                    {
                        "id": node,
                        "display_phone_number": "+1 555 010 0000",
                        "verified_name": "Parley Simulator",
                    },
                )
            return _json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.public_base_url}{self.prefix}/graph/media-download/{node}",
                    "mime_type": "image/png",
                    "sha256": "0" * 64,
                    "file_size": len(PNG_1PX),
                    "id": node,
                },
            )
        if method == "POST" and len(parts) == 3 and parts[2] == "messages":
            if not isinstance(data, dict):
                return graph_error("100", "Invalid JSON body.")
            if data.get("messaging_product") == "whatsapp":
                body = (data.get("text") or {}).get("body", "")
                if not data.get("to") or data.get("type") != "text" or not body or len(body) > 4096:
                    return graph_error("100")
                to = data["to"]
                return _json(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": "wamid." + secrets.token_urlsafe(24)}],
                    },
                )
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
            return _json(
                200, {"recipient_id": recipient, "message_id": "m_" + secrets.token_urlsafe(24)}
            )
        return graph_error("100", "Unsupported request.")
