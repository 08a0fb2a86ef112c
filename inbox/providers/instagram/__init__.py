"""Instagram direct messages (Meta), both flavours of the API, in three rooms:

- ``webhooks``: parsing the ``object: "instagram"`` webhooks (Django-free)
- ``api``: sending, profiles, the token check and error mapping, for both flavours
- here: the provider surface the registry asks for (``registry.REQUIRED``), reading secrets,
  hosts and the HUMAN_AGENT switch from settings

Routing: ``Channel.account_id`` is the Instagram professional account id (``entry[].id`` in
both flavours). Credentials: ``{"flavour": "instagram_login" | "facebook_page",
"access_token": …, "page_id": … (Page flavour)}``. Signatures: Meta's ``X-Hub-Signature-256``
with the app secret (``META_APP_SECRET``; ``INSTAGRAM_APP_SECRET`` is also accepted, since
which secret signs for Instagram Login apps is unconfirmed). Wire formats:
``/work/shared/providers.md`` (Instagram section) and ``docs/channels.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import _meta
from ..base import (
    ChannelDraft,
    MediaContent,
    ProviderError,
    SendResult,
    meta_entry_account,
    no_account_in_payload,
    no_channel_secret,
    no_oauth,
    no_revoke,
)
from . import api
from .api import FACEBOOK_PAGE, INSTAGRAM_LOGIN, MAX_TEXT_LENGTH
from .comments import InstagramComments
from .webhooks import parse

NAME = "instagram"
LABEL = "Instagram"
SIGNATURE_HEADER = _meta.SIGNATURE_HEADER
AD_SOURCE = _meta.AD_SOURCE
TOKEN_ERROR_CODES = {"190"}
SIGNED_PER_CHANNEL = False  # Meta's app secret signs every account's webhooks
FAKE_API_PATH = "instagram"
HAS_PROFILE_API = True  # webhooks carry only the IGSID: name and username from the profile API
REPLY_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"
CONNECT = "form"
CONNECT_LABEL = gettext_lazy("Connect an Instagram professional account")
CONNECT_HELP = gettext_lazy(
    "Instagram Login: the Instagram account id and an Instagram user access token "
    "(instagram_business_basic and instagram_business_manage_messages). Facebook Page: also "
    "the id of the Page linked to the account, and a Page access token (instagram_basic, "
    "instagram_manage_messages, pages_manage_metadata)."
)

__all__ = ["FACEBOOK_PAGE", "INSTAGRAM_LOGIN", "MAX_TEXT_LENGTH", "parse"]

sign = _meta.sign
verify_signature = _meta.verify_signature
verification_challenge = _meta.verification_challenge
webhook_handshake = _meta.webhook_handshake
verify_webhook = _meta.verify_webhook
webhook_account_id = no_account_in_payload
route_account_id = meta_entry_account
channel_webhook_secret = no_channel_secret
send_recipient = _meta.send_recipient
oauth_authorize_url = connect_with_code = no_oauth
revoke_credentials = no_revoke
# Instagram Login's long-lived user tokens last 60 days and are refreshed before they expire;
# Page tokens (from a long-lived user token) do not expire.
LONG_LIVED_TOKEN = timedelta(days=60)
REFRESH_AHEAD = timedelta(days=7)


def webhook_secrets() -> list[str]:
    """Meta's app secret; also the Instagram app secret when one is configured (which of the
    two signs webhooks for Instagram Login apps is unconfirmed)."""
    return [s for s in (settings.META_APP_SECRET, settings.INSTAGRAM_APP_SECRET) if s]


def dedup_key(raw_body: bytes, payload: Any) -> str:
    return _meta.dedup_key(NAME, raw_body)


def api_base_url() -> str:
    """The Graph (Facebook) host; Instagram Login channels switch to the Instagram host."""
    return settings.META_GRAPH_API_URL


def http_options() -> dict:
    return {"version": settings.INSTAGRAM_GRAPH_API_VERSION}


def _root(base_url: str, credentials: dict) -> str:
    return api.host(
        base_url,
        credentials,
        facebook_url=settings.META_GRAPH_API_URL,
        instagram_url=settings.INSTAGRAM_GRAPH_API_URL,
    )


def _version(opts: dict) -> str:
    return opts.get("version") or settings.INSTAGRAM_GRAPH_API_VERSION


def send_text(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    text: str,
    tag: str = "",
    **opts: Any,
) -> SendResult:
    """``account_id`` is the Instagram account id; ``recipient`` the customer's IGSID."""
    return api.send_text(
        client,
        root=_root(base_url, credentials),
        version=_version(opts),
        credentials=credentials,
        account_id=account_id,
        recipient=recipient,
        text=text,
        tag=tag,
        app_secret=settings.META_APP_SECRET,
    )


def fetch_media(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    media_id: str = "",
    url: str = "",
    **opts: Any,
) -> MediaContent:
    return api.fetch_media(client, url=url)


def fetch_profile_name(
    client: httpx.Client, *, base_url: str, credentials: dict, external_id: str, **opts: Any
) -> str:
    profile = api.fetch_profile(
        client,
        root=_root(base_url, credentials),
        version=_version(opts),
        credentials=credentials,
        igsid=external_id,
        app_secret=settings.META_APP_SECRET,
    )
    return api.display_name(profile)


# --- token upkeep (Instagram Login) -------------------------------------------------------


def credentials_need_refresh(
    *, credentials: dict, token_expires_at: datetime | None, now: datetime
) -> bool:
    if api.flavour_of(credentials) != INSTAGRAM_LOGIN or token_expires_at is None:
        return False
    return token_expires_at <= now + REFRESH_AHEAD


def refresh_credentials(
    client: httpx.Client, *, base_url: str, credentials: dict, now: datetime
) -> ChannelDraft:
    if api.flavour_of(credentials) != INSTAGRAM_LOGIN:
        raise ProviderError(
            _("Page tokens do not expire; nothing to refresh."), code="no_refresh", permanent=True
        )
    data = api.refresh_long_lived_token(
        client, root=_root(base_url, credentials), credentials=credentials
    )
    try:
        lifetime = timedelta(seconds=int(data.get("expires_in") or 0)) or LONG_LIVED_TOKEN
    except (TypeError, ValueError):
        lifetime = LONG_LIVED_TOKEN
    return ChannelDraft(
        account_id="",
        name="",
        credentials={**credentials, "access_token": str(data["access_token"])},
        token_expires_at=now + lifetime,
    )


# --- reply windows ------------------------------------------------------------------------


def human_agent_allowed() -> bool:
    """Whether this Meta app was granted the HUMAN_AGENT tag (App Review)."""
    return bool(settings.INSTAGRAM_HUMAN_AGENT_TAG)


def reply_tag(*, author_kind: str, last_customer_message_at: datetime | None, now: datetime) -> str:
    """HUMAN_AGENT after 24 h, for human agents, where the app has the tag."""
    if author_kind != "agent" or not human_agent_allowed() or last_customer_message_at is None:
        return ""
    return HUMAN_AGENT_TAG if now - last_customer_message_at > REPLY_WINDOW else ""


def reply_window(*, author_kind: str) -> timedelta:
    if author_kind == "agent" and human_agent_allowed():
        return HUMAN_AGENT_WINDOW
    return REPLY_WINDOW


def reply_window_problem(
    *,
    last_customer_message_at: datetime | None,
    business_messages_since_customer: int,
    now: datetime,
    tag: str = "",
) -> str | None:
    if last_customer_message_at is None:
        return _("On Instagram the customer must write first.")
    age = now - last_customer_message_at
    if age <= REPLY_WINDOW:
        return None
    if not human_agent_allowed():
        return _(
            "Instagram only allows replies within 24 hours of the customer's last message; "
            "the reply window is closed."
        )
    if age <= HUMAN_AGENT_WINDOW:
        if tag == HUMAN_AGENT_TAG:
            return None
        return _(
            "Instagram's 24-hour window is closed; only a human agent may still reply "
            "(HUMAN_AGENT tag, up to 7 days)."
        )
    return _(
        "Instagram only allows replies within 7 days of the customer's last message "
        "(24 hours for automated messages); the reply window is closed."
    )


# --- connecting -------------------------------------------------------------------------


class ConnectForm(forms.Form):
    """Either flavour: the Instagram account id and a token (plus the Page id for the Page
    flavour), checked with a call to Meta before anything is saved."""

    flavour = forms.ChoiceField(
        label=gettext_lazy("How the account is connected"),
        choices=[
            (INSTAGRAM_LOGIN, gettext_lazy("Instagram Login (graph.instagram.com)")),
            (FACEBOOK_PAGE, gettext_lazy("Through a Facebook Page (graph.facebook.com)")),
        ],
        initial=INSTAGRAM_LOGIN,
    )
    name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    account_id = forms.RegexField(
        regex=r"^\d{5,32}$",
        label=gettext_lazy("Instagram account id"),
        error_messages={"invalid": gettext_lazy("Enter the numeric id from Meta.")},
    )
    page_id = forms.RegexField(
        regex=r"^\d{5,32}$",
        label=gettext_lazy("Facebook Page id (Page flavour only)"),
        required=False,
        error_messages={"invalid": gettext_lazy("Enter the numeric id from Meta.")},
    )
    access_token = forms.CharField(
        label=gettext_lazy("Access token"), widget=forms.PasswordInput(render_value=False)
    )

    def clean(self):
        data = super().clean()
        if data.get("flavour") == FACEBOOK_PAGE and not data.get("page_id"):
            self.add_error("page_id", _("The Page flavour needs the id of the Facebook Page."))
        return data


def connect_form(*args: Any, **kwargs: Any) -> ConnectForm:
    return ConnectForm(*args, **kwargs)


def connect_with_form(client: httpx.Client, *, base_url: str, data: dict) -> ChannelDraft:
    flavour = data.get("flavour") or INSTAGRAM_LOGIN
    account_id = str(data["account_id"]).strip()
    credentials = {"flavour": flavour, "access_token": str(data["access_token"]).strip()}
    if flavour == FACEBOOK_PAGE:
        credentials["page_id"] = str(data.get("page_id") or "").strip()
    info = api.validate(
        client,
        root=_root(base_url, credentials),
        version=settings.INSTAGRAM_GRAPH_API_VERSION,
        credentials=credentials,
        account_id=account_id,
        app_secret=settings.META_APP_SECRET,
    )
    return ChannelDraft(
        account_id=account_id,
        name=data.get("name") or info.get("name") or f"{LABEL} {account_id}",
        credentials=credentials,
        # The dashboard's Instagram Login tokens are long-lived: refreshed before 60 days.
        token_expires_at=timezone.now() + LONG_LIVED_TOKEN if flavour == INSTAGRAM_LOGIN else None,
    )


def _app_secret() -> str:
    return settings.META_APP_SECRET


# Comments under the account's media (the ``comments`` and ``live_comments`` fields).
COMMENTS = InstagramComments(root=_root, version=_version, app_secret=_app_secret)


def fake():
    from inbox.simulator.fakes import instagram as fake_instagram

    return fake_instagram
