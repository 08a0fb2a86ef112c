"""The HTTP client of the TikTok Ads OAuth and Events API (one module, every call with a
timeout, base URLs from settings). A connection marked `simulated` talks to the built-in fake
in-process; every other one to settings.TIKTOK_ADS_API_URL.

Errors: TikTok answers HTTP 200 with a non-zero `code`. Every failure is raised as
`TikTokApiError(kind=…)`, the kind telling the caller what to do:
`throttled` (back off), `token` (refresh or reconnect), `transient` (retry), `permanent`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.conf import settings

from inbox.services.http import tls_context

SIMULATOR_BASE_URL = "http://tiktok-ads.simulator.invalid/simulator/tiktok-ads"

THROTTLE_CODES = {40100, 40016, 40133}
TOKEN_CODES = {40102, 40104, 40105}
TOKEN_EXPIRED_CODES = {40102}
TRANSIENT_CODES = {50000, 50002, 51065, 40200}


class TikTokApiError(Exception):
    def __init__(self, message: str, *, kind: str, code: int | None = None, http_status=None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code
        self.http_status = http_status

    @property
    def reason(self) -> str:
        prefix = f"{self.code}: " if self.code is not None else ""
        return f"{prefix}{self.message}"[:500]


def _kind_for_code(code: int) -> str:
    if code in THROTTLE_CODES:
        return "throttled"
    if code in TOKEN_CODES:
        return "token"
    if code in TRANSIENT_CODES:
        return "transient"
    return "permanent"


def base_url(*, simulated: bool) -> str:
    return SIMULATOR_BASE_URL if simulated else settings.TIKTOK_ADS_API_URL.rstrip("/")


def http_client(*, simulated: bool) -> httpx.Client:
    timeout = httpx.Timeout(settings.PROVIDER_HTTP_TIMEOUT, connect=5.0)
    if simulated:
        from inbox.simulator.fake_tiktok_ads import FakeTikTokAds

        return httpx.Client(
            base_url=SIMULATOR_BASE_URL, transport=FakeTikTokAds().transport(), timeout=timeout
        )
    return httpx.Client(base_url=base_url(simulated=False), timeout=timeout, verify=tls_context())


@dataclass
class ApiAnswer:
    data: dict
    request_id: str


def post(path: str, body: dict, *, simulated: bool, access_token: str = "") -> ApiAnswer:
    headers = {"Content-Type": "application/json"}
    if access_token:
        headers["Access-Token"] = access_token
    try:
        with http_client(simulated=simulated) as client:
            response = client.post(path, json=body, headers=headers)
    except httpx.TimeoutException:
        raise TikTokApiError("TikTok did not answer in time.", kind="transient")
    except httpx.HTTPError as exc:
        raise TikTokApiError(f"Network error: {type(exc).__name__}", kind="transient")
    status = response.status_code
    if status == 429:
        raise TikTokApiError("HTTP 429", kind="throttled", http_status=status)
    if status >= 500:
        raise TikTokApiError(f"HTTP {status}", kind="transient", http_status=status)
    try:
        payload = response.json()
    except ValueError:
        raise TikTokApiError(
            f"HTTP {status}, not JSON", kind="transient" if status < 400 else "permanent"
        )
    if status >= 400 and not isinstance(payload, dict):
        raise TikTokApiError(f"HTTP {status}", kind="permanent", http_status=status)
    code = payload.get("code", -1) if isinstance(payload, dict) else -1
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = -1
    if code != 0:
        message = str(payload.get("message") or "error") if isinstance(payload, dict) else "error"
        raise TikTokApiError(
            message[:300], kind=_kind_for_code(code), code=code, http_status=status
        )
    return ApiAnswer(data=payload.get("data") or {}, request_id=str(payload.get("request_id", "")))


# --- the calls ----------------------------------------------------------------------------------


def oauth_exchange(*, auth_code: str, redirect_uri: str, simulated: bool) -> dict:
    return post(
        settings.TIKTOK_ADS_TOKEN_PATH,
        {
            "client_id": settings.TIKTOK_ADS_CLIENT_KEY,
            "client_secret": settings.TIKTOK_ADS_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "auth_code": auth_code,
            "redirect_uri": redirect_uri,
        },
        simulated=simulated,
    ).data


def oauth_refresh(*, refresh_token: str, simulated: bool) -> dict:
    return post(
        settings.TIKTOK_ADS_REFRESH_PATH,
        {
            "client_id": settings.TIKTOK_ADS_CLIENT_KEY,
            "client_secret": settings.TIKTOK_ADS_CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
        simulated=simulated,
    ).data


def oauth_revoke(*, access_token: str, simulated: bool) -> None:
    post(
        settings.TIKTOK_ADS_REVOKE_PATH,
        {
            "client_id": settings.TIKTOK_ADS_CLIENT_KEY,
            "client_secret": settings.TIKTOK_ADS_CLIENT_SECRET,
            "access_token": access_token,
        },
        simulated=simulated,
    )


def event_set_create(
    *, path: str, access_token: str, account_id: str, name: str, simulated: bool
) -> str:
    data = post(
        path,
        {"advertiser_id": account_id, "name": name, "type": "MESSAGE"},
        simulated=simulated,
        access_token=access_token,
    ).data
    event_set_id = str(data.get("event_set_id") or "")
    if not event_set_id:
        raise TikTokApiError("TikTok returned no event set id.", kind="permanent")
    return event_set_id


def events_track(*, access_token: str, body: dict, simulated: bool) -> ApiAnswer:
    return post(
        settings.TIKTOK_EVENTS_TRACK_PATH, body, simulated=simulated, access_token=access_token
    )
