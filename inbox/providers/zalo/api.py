"""The Zalo OA Open API and OAuth v4: errors in plain words (Zalo answers HTTP 200 with a
non-zero ``error``), the consultation send, profiles, the per-user quota, OAuth with PKCE and
the single-use refresh token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.utils.translation import gettext as _

from ..base import ProviderError, SendResult, check_text, http_request, json_body

MAX_TEXT_LENGTH = 2000
PRODUCTION_BASE_URL = "https://openapi.zalo.me"
PRODUCTION_OAUTH_URL = "https://oauth.zaloapp.com"
REFRESH_TOKEN_LIFETIME = timedelta(days=90)

TRANSIENT_CODES = {"-32"}  # "reached limit call api"
TOKEN_CODES = {"-216", "-220"}  # access token invalid / expired or removed: reconnect


def _error_texts() -> dict[str, str]:
    return {
        "-201": _("Zalo rejected the message as invalid."),
        "-204": _("This Zalo Official Account is disabled."),
        "-205": _("This Zalo Official Account does not exist any more."),
        "-211": _("This Zalo Official Account is out of message quota."),
        "-213": _("The customer does not follow the Official Account."),
        "-216": _("Zalo refused the access token; reconnect the channel."),
        "-217": _("The customer has blocked messages from the Official Account."),
        "-218": _("The customer cannot receive more messages now (their quota is used up)."),
        "-220": _("The Zalo access token has expired or was removed; reconnect the channel."),
        "-221": _("This Zalo Official Account is not verified."),
        "-224": _("This needs a paid Zalo OA package."),
        "-227": _("The customer's Zalo account is banned or has been inactive for 45 days."),
        "-230": _("The customer has not interacted with the Official Account in the past 7 days."),
        "-232": _("The customer has not interacted with the Official Account, or it expired."),
        "-233": _("Zalo does not support this type of message."),
        "-234": _("Zalo does not allow this message at night."),
        "-240": _("Zalo has shut down this way of sending messages."),
    }


def error_from_code(code: Any, message: str = "", http_status: int | None = None) -> ProviderError:
    code = str(code)
    if code in TRANSIENT_CODES:
        return ProviderError(
            _("Zalo is rate limiting this Official Account; the message will be retried."),
            code=code,
            permanent=False,
            http_status=http_status,
        )
    human = _error_texts().get(code) or _("Zalo error %(code)s: %(message)s") % {
        "code": code,
        "message": message[:200] or "?",
    }
    return ProviderError(human, code=code, permanent=True, http_status=http_status)


def check(response: httpx.Response) -> dict:
    """Zalo's answer ``{error, message, data}``: a non-zero ``error`` comes with HTTP 200."""
    status = response.status_code
    if status >= 500 or status == 429:
        raise ProviderError(
            _("Zalo answered HTTP %(status)d; the request will be retried.") % {"status": status},
            code=f"http_{status}",
            permanent=False,
            http_status=status,
        )
    body = json_body(response)
    error = body.get("error", 0 if status == 200 else status)
    if str(error) not in ("0", ""):
        raise error_from_code(error, str(body.get("message", "")), status)
    if status >= 400:
        raise ProviderError(
            _("Zalo refused the request (HTTP %(status)d).") % {"status": status},
            code=f"http_{status}",
            permanent=True,
            http_status=status,
        )
    data = body.get("data")
    return data if isinstance(data, dict) else {}


def _headers(credentials: dict) -> dict[str, str]:
    return {"access_token": str(credentials.get("access_token", ""))}  # a bare header


def send_text(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    **opts: Any,
) -> SendResult:
    """A consultation (customer service) message: allowed within 7 days of the customer's
    last interaction."""
    check_text(text, MAX_TEXT_LENGTH)
    data = check(
        http_request(
            client,
            "POST",
            f"{base_url}/v3.0/oa/message/cs",
            headers=_headers(credentials),
            json={"recipient": {"user_id": recipient}, "message": {"text": text}},
        )
    )
    if not data.get("message_id"):
        raise ProviderError(
            _("Zalo did not return a message id."), code="bad_response", permanent=False
        )
    return SendResult(provider_message_id=str(data["message_id"]))


def fetch_profile_name(
    client: httpx.Client, *, base_url: str, credentials: dict, external_id: str, **opts: Any
) -> str:
    data = check(
        http_request(
            client,
            "GET",
            f"{base_url}/v3.0/oa/user/detail",
            headers=_headers(credentials),
            params={"data": json.dumps({"user_id": external_id})},
        )
    )
    name = data.get("display_name")
    return name if isinstance(name, str) else ""


def reply_allowance(
    client: httpx.Client, *, base_url: str, credentials: dict, recipient: str, **opts: Any
) -> str:
    """The free replies left for this customer, from Zalo's quota call (not hard-coded)."""
    data = check(
        http_request(
            client,
            "POST",
            f"{base_url}/v3.0/oa/quota/message",
            headers=_headers(credentials),
            json={"user_id": recipient},
        )
    )
    reply = data.get("cs_reply") or data.get("reply") or {}
    if not isinstance(reply, dict) or reply.get("remain") is None:
        return ""
    return _("Free consultation replies left for this customer: %(n)s.") % {"n": reply["remain"]}


def oa_info(client: httpx.Client, *, base_url: str, credentials: dict) -> dict:
    return check(
        http_request(client, "GET", f"{base_url}/v2.0/oa/getoa", headers=_headers(credentials))
    )


# --- OAuth v4 with PKCE --------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(verifier, challenge): base64url without padding of 32 random bytes, and of the
    SHA-256 of the verifier (zalo-php-sdk's PKCEUtil)."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return verifier, code_challenge(verifier)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def oauth_url(base_url: str) -> str:
    """oauth.zaloapp.com for the real API; the fake serves OAuth beside the rest."""
    if base_url.rstrip("/") == PRODUCTION_BASE_URL:
        return PRODUCTION_OAUTH_URL
    return base_url.rstrip("/") + "/oauth"


def _tokens(data: dict, now: datetime) -> dict:
    access, refresh = data.get("access_token"), data.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise ProviderError(
            _("Zalo did not return the tokens."), code="bad_response", permanent=True
        )
    try:
        expires_in = int(str(data.get("expires_in", "90000")))  # a string, in seconds
    except ValueError:
        expires_in = 90000
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": (now + timedelta(seconds=expires_in)).isoformat(),
        "refresh_expires_at": (now + REFRESH_TOKEN_LIFETIME).isoformat(),
    }


def _token_call(client: httpx.Client, base_url: str, app_secret: str, form: dict, now) -> dict:
    response = http_request(
        client,
        "POST",
        f"{oauth_url(base_url)}/v4/oa/access_token",
        headers={"secret_key": app_secret},
        data=form,
    )
    if response.status_code >= 500:
        raise ProviderError(
            _("Zalo's OAuth server failed; try again."), code="http_500", permanent=False
        )
    body = json_body(response)
    if body.get("error") not in (None, 0, "0"):
        raise ProviderError(
            _("Zalo refused the authorization: %(reason)s")
            % {"reason": str(body.get("error_description") or body.get("message") or "?")[:200]},
            code=str(body.get("error")),
            permanent=True,
        )
    return _tokens(body, now)


def exchange_code(
    client: httpx.Client,
    *,
    base_url: str,
    app_id: str,
    app_secret: str,
    code: str,
    code_verifier: str,
    now: datetime,
) -> dict:
    form = {
        "app_id": app_id,
        "code": code,
        "grant_type": "authorization_code",
        "code_verifier": code_verifier,
    }
    return _token_call(client, base_url, app_secret, form, now)


def refresh(
    client: httpx.Client,
    *,
    base_url: str,
    app_id: str,
    app_secret: str,
    refresh_token: str,
    now: datetime,
) -> dict:
    """A new pair: the old refresh token is spent by this call (single use), so the caller
    stores the new pair before anything uses it."""
    form = {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}
    return _token_call(client, base_url, app_secret, form, now)
