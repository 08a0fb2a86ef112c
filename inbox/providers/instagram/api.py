"""Instagram's send, profile and account APIs, for both flavours:

- **Instagram Login** (``flavour="instagram_login"``): ``graph.instagram.com`` with an
  Instagram user access token; the account is the Instagram professional account id.
- **Facebook Page** (``flavour="facebook_page"``): ``graph.facebook.com`` with the token of
  the Facebook Page linked to the Instagram account (and ``appsecret_proof``).

Errors are Graph errors (``{"error": {"code", "error_subcode", "message", "type"}}``), mapped
to transient (retried) or permanent (shown to the agent in plain words).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
from django.utils.translation import gettext as _

from .. import _meta
from ..base import (
    MediaContent,
    ProviderError,
    SendResult,
    check_text,
    download,
    http_request,
    json_body,
)

LABEL = "Instagram"
INSTAGRAM_LOGIN = "instagram_login"
FACEBOOK_PAGE = "facebook_page"
FLAVOURS = (INSTAGRAM_LOGIN, FACEBOOK_PAGE)
MAX_TEXT_LENGTH = 1000  # Instagram's limit for a text message (UTF-8 bytes on Meta's side)
# A fake (or any test server) serves both hosts under one base URL: the Instagram host's
# paths start with this segment there.
INSTAGRAM_HOST_SEGMENT = "graph.instagram.com"

TRANSIENT_CODES = {"1", "2", "4", "17", "32", "341", "613"}
WINDOW_SUBCODES = {"2534022", "2018278"}
NO_USER_CODES = {"9010", "2534014", "2018001"}


def human_error(code: str, subcode: str) -> str | None:
    """Plain words for the errors an agent can act on (translated when raised)."""
    if subcode in WINDOW_SUBCODES:
        return _(
            "Instagram refused the reply: the reply window is closed (24 hours after the "
            "customer's last message, 7 days for a human agent where the app may use the "
            "HUMAN_AGENT tag)."
        )
    if code == "190":
        return _("The Instagram access token is invalid or expired; reconnect the channel.")
    if code in ("10", "200", "3"):
        return _("The Instagram token lacks permission to send messages for this account.")
    if code == "230":
        return _("Instagram needs the customer's consent before this can be done.")
    if subcode in NO_USER_CODES or code in NO_USER_CODES:
        return _("This Instagram user cannot be found or cannot receive messages.")
    if code == "551":
        return _("This person isn't available on Instagram right now.")
    if code == "100":
        return _("Instagram rejected the message as invalid.")
    return None


def error_from_graph(error: dict, http_status: int | None) -> ProviderError:
    code = str(error.get("code", ""))
    subcode = str(error.get("error_subcode", "") or "")
    raw = str(error.get("message") or "unknown error")
    if code in TRANSIENT_CODES or (http_status is not None and http_status >= 500):
        return ProviderError(
            _("Instagram is busy or rate limiting (%(error)s); the message will be retried.")
            % {"error": raw},
            code=code or f"http_{http_status}",
            permanent=False,
            http_status=http_status,
        )
    human = human_error(code, subcode)
    return ProviderError(
        human or _("Instagram error %(code)s: %(error)s") % {"code": code, "error": raw},
        code=subcode if subcode in WINDOW_SUBCODES or subcode in NO_USER_CODES else code,
        permanent=True,
        http_status=http_status,
    )


def check(response: httpx.Response) -> dict:
    status = response.status_code
    data = json_body(response)
    error = data.get("error")
    if isinstance(error, dict):
        raise error_from_graph(error, status)
    if status >= 500 or status == 429:
        raise ProviderError(
            _("Instagram answered HTTP %(status)s; the request will be retried.")
            % {"status": status},
            code=f"http_{status}",
            permanent=False,
            http_status=status,
        )
    if status >= 400:
        raise ProviderError(
            _("Instagram refused the request (HTTP %(status)s).") % {"status": status},
            code=f"http_{status}",
            permanent=True,
            http_status=status,
        )
    return data


def flavour_of(credentials: dict) -> str:
    flavour = credentials.get("flavour") or INSTAGRAM_LOGIN
    return flavour if flavour in FLAVOURS else INSTAGRAM_LOGIN


def host(base_url: str, credentials: dict, *, facebook_url: str, instagram_url: str) -> str:
    """The API host for the channel's flavour. ``base_url`` is the Graph (Facebook) base Parley
    resolved for the channel: the production one (→ ``instagram_url`` for Instagram Login), or
    a fake's, which serves the Instagram host under ``/graph.instagram.com``."""
    base = base_url.rstrip("/")
    if flavour_of(credentials) == FACEBOOK_PAGE:
        return base
    if base == facebook_url.rstrip("/"):
        return instagram_url.rstrip("/")
    return f"{base}/{INSTAGRAM_HOST_SEGMENT}"


def _params(credentials: dict, app_secret: str) -> dict[str, str]:
    """``appsecret_proof`` for Page tokens (Meta's recommended hardening of server calls)."""
    token = str(credentials.get("access_token", ""))
    if flavour_of(credentials) != FACEBOOK_PAGE or not app_secret or not token:
        return {}
    proof = hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    return {"appsecret_proof": proof}


def graph_call(
    client: httpx.Client,
    method: str,
    root: str,
    version: str,
    path: str,
    credentials: dict,
    *,
    app_secret: str = "",
    params: dict | None = None,
    body: dict | None = None,
) -> dict:
    response = http_request(
        client,
        method,
        _meta.graph_url(root, version, path),
        headers=_meta.auth(credentials),
        params={**(params or {}), **_params(credentials, app_secret)},
        json=body,
    )
    return check(response)


def sender_node(credentials: dict, account_id: str) -> str:
    """Who sends: the Instagram account (Instagram Login) or the linked Page (Page flavour)."""
    if flavour_of(credentials) == FACEBOOK_PAGE:
        return str(credentials.get("page_id") or "me")
    return account_id


def send_text(
    client: httpx.Client,
    *,
    root: str,
    version: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    tag: str = "",
    app_secret: str = "",
) -> SendResult:
    check_text(text, MAX_TEXT_LENGTH)
    body: dict[str, Any] = {"recipient": {"id": recipient}, "message": {"text": text}}
    if tag:
        body["messaging_type"] = "MESSAGE_TAG"
        body["tag"] = tag
    data = graph_call(
        client,
        "POST",
        root,
        version,
        f"{sender_node(credentials, account_id)}/messages",
        credentials,
        app_secret=app_secret,
        body=body,
    )
    if not data.get("message_id"):
        raise ProviderError(
            _("Instagram did not return a message id."), code="bad_response", permanent=False
        )
    return SendResult(provider_message_id=str(data["message_id"]))


def fetch_profile(
    client: httpx.Client,
    *,
    root: str,
    version: str,
    credentials: dict,
    igsid: str,
    app_secret: str = "",
) -> dict:
    return graph_call(
        client,
        "GET",
        root,
        version,
        igsid,
        credentials,
        app_secret=app_secret,
        params={"fields": "name,username,profile_pic"},
    )


def display_name(profile: dict) -> str:
    name = profile.get("name")
    username = profile.get("username")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return f"@{username}" if isinstance(username, str) and username else ""


def validate(
    client: httpx.Client,
    *,
    root: str,
    version: str,
    credentials: dict,
    account_id: str,
    app_secret: str = "",
) -> dict:
    """Check that the token speaks for the Instagram account; returns ``{id, name}``."""
    if flavour_of(credentials) == FACEBOOK_PAGE:
        page_id = str(credentials.get("page_id", ""))
        data = graph_call(
            client,
            "GET",
            root,
            version,
            page_id,
            credentials,
            app_secret=app_secret,
            params={"fields": "id,name,instagram_business_account{id,username}"},
        )
        linked = data.get("instagram_business_account") or {}
        found = str(linked.get("id", "")) if isinstance(linked, dict) else ""
        name = linked.get("username") if isinstance(linked, dict) else ""
    else:
        data = graph_call(
            client,
            "GET",
            root,
            version,
            "me",
            credentials,
            params={"fields": "user_id,username,name"},
        )
        found = str(data.get("user_id", "") or data.get("id", ""))
        name = data.get("username") or data.get("name")
    if found != str(account_id):
        raise ProviderError(
            _("This token does not belong to the Instagram account %(id)s.") % {"id": account_id},
            code="mismatch",
            permanent=True,
        )
    return {"id": found, "name": f"@{name}" if name else ""}


def refresh_long_lived_token(client: httpx.Client, *, root: str, credentials: dict) -> dict:
    """Instagram Login: a long-lived token (60 days, at least 24 hours old) for a new one,
    ``{access_token, token_type, expires_in}``. No Graph version in this path."""
    response = http_request(
        client,
        "GET",
        f"{root.rstrip('/')}/refresh_access_token",
        params={
            "grant_type": "ig_refresh_token",
            "access_token": str(credentials.get("access_token", "")),
        },
    )
    data = check(response)
    if not data.get("access_token"):
        raise ProviderError(
            _("Instagram did not return a new token."), code="bad_response", permanent=False
        )
    return data


def fetch_media(client: httpx.Client, *, url: str) -> MediaContent:
    """Instagram gives attachment URLs (Meta's CDN) in the webhook; Parley downloads them."""
    if not url:
        raise ProviderError(_("This attachment has no URL."), code="no_url", permanent=True)
    return download(client, url)
