"""The fake providers' APIs, speaking their real formats: this dispatcher, its stores and its
failure injection; each provider's fake (``inbox/simulator/fakes/<provider>.py``, found through
the provider module's ``fake()``) answers the paths under its ``API_PATH``.

``FakeProviders(store)`` is a request handler ``(method, path, headers, body) -> (status,
headers, body)``. Paths of the built-in fakes (after an optional mount ``prefix``):

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

import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx

from inbox.simulator.fakes.wire import JSON, PNG_1PX, digits, json_response

__all__ = ["JSON", "PNG_1PX", "FakeProviders", "SimulatedTimeout", "digits", "json_response"]


class SimulatedTimeout(Exception):
    """Raised by the handler when a timeout was injected."""


@dataclass
class Failure:
    kind: str  # http_500 | timeout | error
    code: str = ""
    provider: str = ""  # "" (any) or a fake's API_PATH ("tiktok", "graph")
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
    def template_put(self, waba_id: str, data: dict, phone_number_ids: list[str]) -> None: ...
    def templates(self, waba_id: str) -> list[dict]: ...
    def template_for_number(
        self, phone_number_id: str, name: str, language: str
    ) -> dict | None: ...
    def put_object(
        self, api: str, kind: str, external_id: str, data: dict, parent_id: str = ""
    ) -> None: ...
    def get_object(self, api: str, kind: str, external_id: str) -> dict | None: ...
    def objects(self, api: str, kind: str, parent_id: str) -> list[dict]: ...
    def clear(self) -> None: ...


class MemoryStore:
    """In-process store (unit tests, the single-process simulator)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._failures: list[Failure] = []
        self._revoked: set[str] = set()
        self._profiles: dict[str, str] = {}
        self._templates: list[tuple[str, dict, list[str]]] = []  # (waba id, data, numbers)
        self._objects: dict[tuple[str, str, str], tuple[str, dict]] = {}

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

    def template_put(self, waba_id: str, data: dict, phone_number_ids: list[str]) -> None:
        with self._lock:
            self._templates = [t for t in self._templates if t[1]["id"] != data["id"]]
            self._templates.append((waba_id, dict(data), list(phone_number_ids)))

    def templates(self, waba_id: str) -> list[dict]:
        with self._lock:
            return [dict(data) for waba, data, _ in self._templates if waba == waba_id]

    def template_for_number(self, phone_number_id: str, name: str, language: str) -> dict | None:
        with self._lock:
            for _waba, data, numbers in self._templates:
                if (phone_number_id in numbers or "*" in numbers) and (
                    data["name"],
                    data["language"],
                ) == (
                    name,
                    language,
                ):
                    return dict(data)
        return None

    def put_object(self, api: str, kind: str, external_id: str, data: dict, parent_id="") -> None:
        with self._lock:
            self._objects[(api, kind, external_id)] = (parent_id, json.loads(json.dumps(data)))

    def get_object(self, api: str, kind: str, external_id: str) -> dict | None:
        with self._lock:
            found = self._objects.get((api, kind, external_id))
            return json.loads(json.dumps(found[1])) if found else None

    def objects(self, api: str, kind: str, parent_id: str) -> list[dict]:
        with self._lock:
            return [
                json.loads(json.dumps(data))
                for (a, k, _id), (parent, data) in self._objects.items()
                if a == api and k == kind and parent == parent_id
            ]

    def clear(self) -> None:
        with self._lock:
            self._templates.clear()
            self._objects.clear()
            self._profiles.clear()
            self._requests.clear()
            self._failures.clear()
            self._revoked.clear()


def _mask(value: str) -> str:
    return value[:6] + "…" if len(value) > 6 else value


def fake_for_api_path(api_path: str):
    """The fake answering ``/<api_path>/...``, from the registered providers."""
    from inbox.providers import registry

    for provider in registry.PROVIDERS.values():
        if api_path == provider.FAKE_API_PATH:
            return provider.fake()
    return None


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
        if lower.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            data = dict(parse_qsl(body.decode("utf-8", "replace")))  # OAuth token calls
        entry = {
            "at": time.time(),
            "method": method.upper(),
            "path": route,
            "query": query,
            "headers": {
                k: _mask(v) if k in ("access-token", "access_token", "authorization") else v
                for k, v in lower.items()
                if k in ("access-token", "access_token", "authorization", "content-type")
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
                fake = fake_for_api_path(provider)
                if failure.kind == "http_500" or fake is None:
                    result = (500, {"Content-Type": "text/plain"}, b"Internal Server Error")
                else:
                    result = fake.error(failure.code)
            else:
                result = self._route(method.upper(), provider, route, query, lower, data)
            entry["status"] = result[0]
            return result
        finally:
            self.store.record(entry)

    def _route(
        self, method: str, provider: str, route: str, query: dict, headers: dict, data: Any
    ) -> tuple[int, dict, bytes]:
        fake = fake_for_api_path(provider)
        if fake is None:
            return json_response(404, {"error": "not found"})
        return fake.handle(self, method, route[len(provider) + 1 :], query, headers, data)
