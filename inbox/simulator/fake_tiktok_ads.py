"""A fake of TikTok's Ads OAuth and Events API that speaks the real wire format
(../shared/providers.md), for tests, benchmarks and the demo.

`FakeTikTokAds().handle(method, path, headers, body)` answers like TikTok does (HTTP 200 with
`{code, message, request_id, data}`), for paths relative to the mount point
`/simulator/tiktok-ads`:

- `POST /open_api/v1.3/tt_user/oauth2/token/` — auth codes `sim.<account id>` are accepted
  (`sim.limited.<id>` grants only the `event.track` scope), anything else is 40002.
- `POST /open_api/v1.3/tt_user/oauth2/refresh_token/` — rotates: the old refresh token stops
  working.
- `POST /open_api/v1.3/tt_user/oauth2/revoke/`
- `POST /open_api/v1.3/event_set/create/` — a new Message Event Set id.
- `POST /open_api/v1.3/event/track/` — `Access-Token` must be a token the fake issued (or a
  pasted Events Manager token `evt.<anything>`); `event_source_id` an event set it created or
  a 10–20 digit id; at most 1000 events, each with `event`, `event_time`, `event_id`.
  Deduplicated as TikTok does: an event with the same `event_source_id`, `event` and
  `event_id` as one received within the previous 48 hours is dropped (the answer is the same
  `code: 0`, as TikTok's); every copy is counted in `FakeTikTokEvent` (`received` vs
  `counted`), so a test or the reliability check can tell a re-send from a double count.

Every request is recorded in `FakeTikTokRequest` (the database: the web process, workers and
tests see the same log). Failure injection through `FakeTikTokBehaviour` rows: `inject(...)`.
Mounted over HTTP by `signals_app.urls` when settings.SIMULATOR_ENABLED; used in-process by
`transport()` for connections marked `simulated`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import timedelta

import httpx
from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone

from signals_app.simulator_models import (
    FakeTikTokBehaviour,
    FakeTikTokEvent,
    FakeTikTokRequest,
    FakeTikTokToken,
)

MOUNT = "/simulator/tiktok-ads"
API = "/open_api/v1.3"
ALL_SCOPES = "message.metadata.manage,event.track,webhook.manage"
ACCESS_TTL = 86400
REFRESH_TTL = 31_536_000
MAX_EVENTS = 1000
DEDUP_WINDOW = timedelta(hours=48)

ERROR_TEXT = {
    40001: "No permission to operate this advertiser.",
    40002: "Invalid parameter.",
    40016: "Too many requests for this app. Please retry later.",
    40100: "Too many requests. Please retry later.",
    40102: "Access token has expired.",
    40104: "Access token is empty.",
    40105: "Access token is invalid.",
    40133: "Request frequency exceeded the limit.",
    51065: "Internal service error, please retry.",
}
_EVENT_SET_ID = re.compile(r"^\d{10,20}$")


def _answer(code: int = 0, data: dict | None = None, message: str | None = None):
    body = {
        "code": code,
        "message": "OK" if code == 0 else (message or ERROR_TEXT.get(code, "Error")),
        "request_id": secrets.token_hex(10),
        "data": data if data is not None else {},
    }
    return 200, body


class FakeTikTokAds:
    # ------------------------------------------------------------------ test helpers

    @staticmethod
    def inject(
        kind: str = "error",
        *,
        code: int = 0,
        count: int | None = 1,
        latency_ms: int = 0,
        path_contains: str = "",
    ) -> FakeTikTokBehaviour:
        return FakeTikTokBehaviour.objects.create(
            kind=kind,
            code=code,
            remaining=count,
            latency_ms=latency_ms,
            path_contains=path_contains,
        )

    @staticmethod
    def reset() -> None:
        FakeTikTokBehaviour.objects.all().delete()
        FakeTikTokRequest.objects.all().delete()
        FakeTikTokEvent.objects.all().delete()

    @staticmethod
    def requests(path_contains: str = ""):
        return FakeTikTokRequest.objects.filter(path__contains=path_contains).order_by("id")

    @classmethod
    def events_received(cls) -> list[dict]:
        """Every event of every accepted track request, with the token it came with."""
        out = []
        for req in cls.requests("/event/track/").filter(code=0, http_status=200):
            body = json.loads(req.body)
            if body.get("test_event_code"):
                continue
            for event in body.get("data", []):
                out.append(
                    {
                        **event,
                        "_token": req.headers.get("Access-Token", ""),
                        "_event_source_id": body.get("event_source_id"),
                        "_event_source": body.get("event_source"),
                    }
                )
        return out

    @staticmethod
    def events_counted():
        """The events as TikTok counts them (one row per event set, event name and event_id)."""
        return FakeTikTokEvent.objects.order_by("id")

    @staticmethod
    def resends() -> int:
        """Copies TikTok received and deduplicated (received but not counted)."""
        totals = FakeTikTokEvent.objects.aggregate(received=Sum("received"), counted=Sum("counted"))
        return (totals["received"] or 0) - (totals["counted"] or 0)

    # ------------------------------------------------------------------ HTTP

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if path.startswith(MOUNT):
                path = path[len(MOUNT) :]
            status, body = self.handle(request.method, path, dict(request.headers), request.content)
            return httpx.Response(status, json=body)

        return httpx.MockTransport(handler)

    def handle(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        headers = {k.title(): v for k, v in headers.items()}
        record = FakeTikTokRequest.objects.create(
            method=method.upper(),
            path=path[:300],
            headers={
                k: v
                for k, v in headers.items()
                if k in ("Access-Token", "Content-Type", "User-Agent")
            },
            body=body.decode("utf-8", "replace"),
        )
        injected, status, answer = self._injected(path)
        if status is None:
            status, answer = self._route(method.upper(), path, headers, body)
        record.http_status = status
        record.code = int(answer.get("code", 0)) if isinstance(answer, dict) else 0
        record.injected = injected
        record.save(update_fields=["http_status", "code", "injected"])
        return status, answer

    def _injected(self, path: str):
        rows = FakeTikTokBehaviour.objects.filter(Q(remaining__isnull=True) | Q(remaining__gt=0))
        delay = 0
        for row in rows:
            if row.path_contains and row.path_contains not in path:
                continue
            if row.remaining is not None:
                taken = FakeTikTokBehaviour.objects.filter(pk=row.pk, remaining__gt=0).update(
                    remaining=F("remaining") - 1
                )
                if not taken:
                    continue
            if row.kind == FakeTikTokBehaviour.Kind.HOLD:
                _hold(row.pk, row.latency_ms)
                continue
            delay = max(delay, row.latency_ms)
            if row.kind == FakeTikTokBehaviour.Kind.LATENCY:
                continue
            if delay:
                time.sleep(delay / 1000)
            if row.kind == FakeTikTokBehaviour.Kind.ERROR:
                status, answer = _answer(row.code)
                return "error", status, answer
            status = 503 if row.kind == FakeTikTokBehaviour.Kind.HTTP_503 else 500
            return row.kind, status, {"code": 50000, "message": "Internal Server Error"}
        if delay:
            time.sleep(delay / 1000)
        return "", None, None

    def _route(self, method: str, path: str, headers: dict, body: bytes):
        if method != "POST":
            return 405, {"code": 40002, "message": "Method not allowed."}
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return _answer(40002, message="Body is not JSON.")
        if not isinstance(payload, dict):
            return _answer(40002, message="Body is not a JSON object.")
        routes = {
            f"{API}/tt_user/oauth2/token/": self._token,
            f"{API}/tt_user/oauth2/refresh_token/": self._refresh,
            f"{API}/tt_user/oauth2/revoke/": self._revoke,
            f"{API}/event_set/create/": self._event_set_create,
            f"{API}/event/track/": self._track,
        }
        view = routes.get(path)
        if view is None:
            return 404, {"code": 40007, "message": "Not found."}
        return view(payload, headers)

    # ------------------------------------------------------------------ OAuth

    @staticmethod
    def _client_ok(payload) -> bool:
        return bool(payload.get("client_id")) and bool(payload.get("client_secret"))

    @staticmethod
    def _issue(subject: str, scope: str) -> dict:
        now = timezone.now()
        access = f"act.{subject}.{secrets.token_urlsafe(24)}"
        refresh = f"rft.{subject}.{secrets.token_urlsafe(24)}"
        FakeTikTokToken.objects.bulk_create(
            [
                FakeTikTokToken(
                    kind="access",
                    value=access,
                    subject=subject,
                    scope=scope,
                    expires_at=now + timedelta(seconds=ACCESS_TTL),
                ),
                FakeTikTokToken(
                    kind="refresh",
                    value=refresh,
                    subject=subject,
                    scope=scope,
                    expires_at=now + timedelta(seconds=REFRESH_TTL),
                ),
            ]
        )
        return {
            "open_id": subject,
            "scope": scope,
            "access_token": access,
            "expires_in": ACCESS_TTL,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TTL,
        }

    def _token(self, payload, headers):
        if not self._client_ok(payload) or payload.get("grant_type") != "authorization_code":
            return _answer(40002, message="Invalid client or grant_type.")
        code = str(payload.get("auth_code") or "")
        if not code.startswith("sim.") or not payload.get("redirect_uri"):
            return _answer(40002, message="Invalid auth_code.")
        subject = code.removeprefix("sim.")
        scope = ALL_SCOPES
        if subject.startswith("limited."):
            subject, scope = subject.removeprefix("limited."), "event.track"
        if not subject:
            return _answer(40002, message="Invalid auth_code.")
        return _answer(0, self._issue(subject, scope))

    def _refresh(self, payload, headers):
        if not self._client_ok(payload) or payload.get("grant_type") != "refresh_token":
            return _answer(40002, message="Invalid client or grant_type.")
        now = timezone.now()
        token = FakeTikTokToken.objects.filter(
            kind="refresh", value=str(payload.get("refresh_token") or "")
        ).first()
        if token is None or token.revoked_at or (token.expires_at and token.expires_at < now):
            return _answer(40105, message="Refresh token is invalid.")
        # Rotation: this refresh token is used up.
        if not FakeTikTokToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        ):
            return _answer(40105, message="Refresh token is invalid.")
        return _answer(0, self._issue(token.subject, token.scope))

    def _revoke(self, payload, headers):
        if not self._client_ok(payload):
            return _answer(40002, message="Invalid client.")
        token = FakeTikTokToken.objects.filter(
            kind="access", value=str(payload.get("access_token") or "")
        ).first()
        if token is None:
            return _answer(40105)
        FakeTikTokToken.objects.filter(
            subject=token.subject, kind__in=["access", "refresh"], revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        return _answer(0)

    # ------------------------------------------------------------------ Events API

    @staticmethod
    def _check_token(headers) -> int:
        value = headers.get("Access-Token", "")
        if not value:
            return 40104
        token = FakeTikTokToken.objects.filter(kind="access", value=value).first()
        if token is None:
            return 0 if value.startswith("evt.") and len(value) >= 12 else 40105
        if token.revoked_at:
            return 40105
        if token.expires_at and token.expires_at < timezone.now():
            return 40102
        return 0

    def _event_set_create(self, payload, headers):
        code = self._check_token(headers)
        if code:
            return _answer(code)
        if not payload.get("name"):
            return _answer(40002, message="name is required.")
        event_set_id = str(7_000_000_000_000_000_000 + secrets.randbelow(10**18))
        FakeTikTokToken.objects.create(
            kind="event_set",
            value=event_set_id,
            subject=str(payload.get("advertiser_id") or ""),
            scope=str(payload.get("name"))[:300],
        )
        return _answer(0, {"event_set_id": event_set_id})

    def _track(self, payload, headers):
        code = self._check_token(headers)
        if code:
            return _answer(code)
        if not payload.get("event_source"):
            return _answer(40002, message="event_source is required.")
        source_id = str(payload.get("event_source_id") or "")
        known = FakeTikTokToken.objects.filter(kind="event_set", value=source_id).exists()
        if not known and not _EVENT_SET_ID.match(source_id):
            return _answer(40002, message="event_source_id is invalid.")
        data = payload.get("data")
        if not isinstance(data, list) or not data:
            return _answer(40002, message="data must be a non-empty list.")
        if len(data) > MAX_EVENTS:
            return _answer(40002, message=f"At most {MAX_EVENTS} events per request.")
        for event in data:
            if not isinstance(event, dict):
                return _answer(40002, message="Every event must be an object.")
            if not isinstance(event.get("event"), str) or not event["event"]:
                return _answer(40002, message="event is required.")
            if not isinstance(event.get("event_time"), int):
                return _answer(40002, message="event_time must be epoch seconds.")
            if not isinstance(event.get("event_id"), str) or not event["event_id"]:
                return _answer(40002, message="event_id is required.")
        if not payload.get("test_event_code"):  # test events are shown, never counted
            _count_events(source_id, data)
        return _answer(0, {})


def _hold(behaviour_id: int, at_most_ms: int) -> None:
    """Keep a request unanswered until its behaviour row is deleted (a test's release)."""
    deadline = time.monotonic() + at_most_ms / 1000
    while time.monotonic() < deadline:
        if not FakeTikTokBehaviour.objects.filter(pk=behaviour_id).exists():
            return
        time.sleep(0.05)


def _count_events(event_source_id: str, data: list[dict]) -> None:
    """TikTok's deduplication: the first copy of (event set, event, event_id) counts; copies
    within 48 hours of it are received and dropped; a copy after that counts again. One
    statement, so concurrent requests (two web workers) cannot both count one event."""
    copies: dict[tuple[str, str], int] = {}
    for event in data:
        key = (event["event"][:100], event["event_id"][:200])
        copies[key] = copies.get(key, 0) + 1
    now = timezone.now()
    rows = [
        (event_source_id[:64], name, event_id, now, now, n)
        for (name, event_id), n in copies.items()
    ]
    table = FakeTikTokEvent._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, 1)"] * len(rows))
    late = "EXCLUDED.first_received_at - t.first_received_at > %s"
    with connection.cursor() as cursor:
        cursor.execute(  # the table is ours; every value is a placeholder
            f"""INSERT INTO {table} AS t (event_source_id, event, event_id, first_received_at,
                   last_received_at, received, counted) VALUES {values}
               ON CONFLICT (event_source_id, event, event_id) DO UPDATE SET
                   received = t.received + EXCLUDED.received,
                   last_received_at = EXCLUDED.last_received_at,
                   counted = t.counted + CASE WHEN {late} THEN 1 ELSE 0 END,
                   first_received_at = CASE WHEN {late} THEN EXCLUDED.first_received_at
                                            ELSE t.first_received_at END""",  # noqa: S608
            [value for row in rows for value in row] + [DEDUP_WINDOW, DEDUP_WINDOW],
        )


# --- over HTTP (mounted by signals_app.urls when settings.SIMULATOR_ENABLED) ----------------------


def fake_api_view(request, api_path: str):
    from django.http import JsonResponse

    headers = {k: v for k, v in request.headers.items()}
    status, body = FakeTikTokAds().handle(request.method, "/" + api_path, headers, request.body)
    return JsonResponse(body, status=status)


fake_api_view.csrf_exempt = True
