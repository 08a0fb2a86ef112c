"""What WhatsApp Cloud API, Messenger and Instagram share: Meta's signature, handshake,
Graph errors, referrals."""

from __future__ import annotations

from typing import Any

import httpx
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from .base import (
    ChannelDraft,
    ProviderError,
    Referral,
    body_hash,
    constant_time_equal,
    header,
    hmac_sha256_hex,
    http_request,
    json_body,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
GRAPH_VERSION = "v21.0"
PRODUCTION_BASE_URL = "https://graph.facebook.com"
AD_SOURCE = "meta_ad"
FAKE_API_PATH = "graph"
SIGNED_PER_CHANNEL = False  # the Meta app secret signs every page's and number's webhooks
TOKEN_ERROR_CODES = {"190"}
CONNECT = "form"

# Graph error codes worth retrying: temporary failures and rate limits.
TRANSIENT_CODES = {
    "1",  # unknown / temporary
    "2",  # service temporarily unavailable
    "4",  # application request limit
    "17",  # user request limit
    "32",  # page request limit
    "613",  # calls within one hour exceeded
    "80007",  # WhatsApp rate limit
    "130429",  # throughput reached
    "131000",  # something went wrong
    "131016",  # service unavailable
    "131048",  # spam rate limit
    "131056",  # pair rate limit
    "133004",  # server temporarily unavailable
}
HUMAN_MESSAGES = {
    "131047": "The reply window is closed: more than 24 hours have passed since the customer's "
    "last message (WhatsApp only allows template messages now).",
    "190": "The access token is invalid or expired; reconnect the channel.",
    "10": "The token lacks permission to send messages for this account.",
    "200": "The token lacks permission to send messages for this account.",
    "3": "The app lacks the capability to send messages for this account.",
    "100": "The provider rejected the message as invalid.",
    "131026": "The message could not be delivered (the recipient may not use WhatsApp).",
    "131051": "This message type is not supported.",
    "131031": "The WhatsApp business account is locked.",
    "551": "This person is not available right now.",
    "2018278": "The reply window is closed: more than 24 hours have passed since the "
    "customer's last message.",
    "132000": "The number of variables does not match the template; sync the templates and "
    "fill every variable.",
    "132001": "The template does not exist in this language or is not approved.",
    "132005": "The template's text is too long once the variables are filled in.",
    "132007": "A variable breaks WhatsApp's formatting rules for templates.",
    "132012": "A variable has the wrong format for this template.",
    "132015": "The template is paused by WhatsApp because of low quality.",
    "132016": "The template is disabled by WhatsApp.",
}


def sign(raw_body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: "sha256=" + hmac_sha256_hex(secret, raw_body)}


def verify_signature(
    headers: Any, raw_body: bytes, secret: str, *, now: float | None = None, tolerance: int = 0
) -> bool:
    value = header(headers, SIGNATURE_HEADER)
    if not value or not secret or not value.startswith("sha256="):
        return False
    return constant_time_equal(hmac_sha256_hex(secret, raw_body), value[7:].lower())


def verification_challenge(params: Any, verify_token: str) -> str | None:
    """GET handshake: the challenge to echo back, or None (→ 403)."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    if not constant_time_equal(str(params.get("hub.verify_token", "")), verify_token):
        return None
    challenge = params.get("hub.challenge")
    return str(challenge) if challenge is not None else None


def webhook_secrets() -> list[str]:
    return [settings.META_APP_SECRET]


def webhook_handshake(params: Any) -> str | None:
    return verification_challenge(params, settings.META_VERIFY_TOKEN)


def verify_webhook(headers: Any, raw_body: bytes, secret: str) -> bool:
    return verify_signature(headers, raw_body, secret)


def api_base_url() -> str:
    return settings.META_GRAPH_API_URL


def http_options() -> dict:
    return {"version": settings.META_GRAPH_API_VERSION}


def send_recipient(*, conversation_external_id: str, contact_external_id: str) -> str:
    return contact_external_id  # the customer's wa_id / PSID


class ConnectForm(forms.Form):
    """A Meta account id and a token, checked with a call to Graph before saving."""

    name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    account_id = forms.RegexField(
        regex=r"^\d{5,32}$",
        label=gettext_lazy("Id"),
        error_messages={"invalid": gettext_lazy("Enter the numeric id from Meta.")},
    )
    waba_id = forms.RegexField(
        regex=r"^\d{5,32}$", label=gettext_lazy("WhatsApp business account id"), required=False
    )
    access_token = forms.CharField(
        label=gettext_lazy("Access token"), widget=forms.PasswordInput(render_value=False)
    )


def connect_with_form(
    client: httpx.Client, *, base_url: str, data: dict, validate, label: str
) -> ChannelDraft:
    """Validate the token against the account with ``validate`` (the module's
    ``validate_credentials``) and describe the channel to save."""
    account_id = str(data["account_id"]).strip()
    access_token = str(data["access_token"]).strip()
    info = validate(
        client,
        base_url=base_url,
        credentials={"access_token": access_token},
        account_id=account_id,
        **http_options(),
    )
    display = info.get("verified_name") or info.get("name") or info.get("display_phone_number")
    fields = {"waba_id": str(data.get("waba_id") or "").strip()} if "waba_id" in data else {}
    return ChannelDraft(
        account_id=account_id,
        name=data.get("name") or display or f"{label} {account_id}",
        credentials={"access_token": access_token},
        fields=fields,
    )


def referral_from(data: dict) -> Referral:
    """A Meta ``referral`` object (Messenger and Instagram: ads, m.me / ig.me links)."""
    ads = data.get("ads_context_data") or {}
    return Referral(
        source=str(data.get("source", "")),
        ad_id=str(data.get("ad_id", "") or ads.get("ad_id", "") or ""),
        ad_name=str(ads.get("ad_title", "")),
        ref=str(data.get("ref", "") or ""),
        raw=data,
    )


def dedup_key(name: str, raw_body: bytes) -> str:
    # Batches are not stable across redeliveries; message-level dedup (wamid / mid) is the real
    # guard. The body hash only drops byte-identical redeliveries early.
    return f"{name}:body:{body_hash(raw_body)}"


def error_from_graph(error: dict, http_status: int | None, label: str) -> ProviderError:
    code = str(error.get("code", ""))
    subcode = str(error.get("error_subcode", ""))
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else ""
    raw_message = str(error.get("message") or details or "unknown error")
    if code in TRANSIENT_CODES or (http_status is not None and http_status >= 500):
        return ProviderError(
            f"{label} is busy or rate limiting ({raw_message}); the message will be retried.",
            code=code or f"http_{http_status}",
            permanent=False,
            http_status=http_status,
        )
    human = HUMAN_MESSAGES.get(subcode) or HUMAN_MESSAGES.get(code)
    return ProviderError(
        human or f"{label} error {code}: {raw_message}",
        code=subcode if subcode in HUMAN_MESSAGES else code,
        permanent=True,
        http_status=http_status,
    )


def check(response: httpx.Response, label: str) -> dict:
    status = response.status_code
    data = json_body(response)
    error = data.get("error")
    if isinstance(error, dict):
        raise error_from_graph(error, status, label)
    if status >= 500 or status == 429:
        raise ProviderError(
            f"{label} answered HTTP {status}; the request will be retried.",
            code=f"http_{status}",
            permanent=False,
            http_status=status,
        )
    if status >= 400:
        raise ProviderError(
            f"{label} refused the request (HTTP {status}).",
            code=f"http_{status}",
            permanent=True,
            http_status=status,
        )
    return data


def graph_url(base_url: str, version: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{version}/{path.lstrip('/')}"


def auth(credentials: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


def graph_get(
    client: httpx.Client, url: str, credentials: dict, label: str, params: dict | None = None
) -> dict:
    return check(http_request(client, "GET", url, headers=auth(credentials), params=params), label)


def graph_post(client: httpx.Client, url: str, credentials: dict, label: str, body: dict) -> dict:
    return check(http_request(client, "POST", url, headers=auth(credentials), json=body), label)
