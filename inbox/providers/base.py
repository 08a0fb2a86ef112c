"""Provider-neutral types shared by every provider module.

Every provider module offers the surface listed in ``registry.REQUIRED`` (explained in
``docs/architecture.md``, "How to add a provider"); the wire-format parts (signatures, parsing,
sending) work on these types and plain ``httpx`` clients.

This module imports nothing from Django.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ProviderError(Exception):
    """A provider call failed. ``permanent`` tells the caller whether retrying can help."""

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        permanent: bool,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = None if code is None else str(code)
        self.permanent = permanent
        self.http_status = http_status

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return (
            f"ProviderError({self.message!r}, code={self.code!r}, permanent={self.permanent},"
            f" http_status={self.http_status})"
        )


class PayloadError(ValueError):
    """A (correctly signed) payload that is malformed or of an unknown shape."""


def shape_checked(parse):
    """Make a provider's `parse` answer PayloadError for any payload of an unexpected shape
    (an object where a string was expected, a list instead of an object, …), so a hostile or
    changed payload is stored as a failed event instead of crashing the worker."""

    @functools.wraps(parse)
    def wrapper(payload):
        try:
            return parse(payload)
        except PayloadError:
            raise
        except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError) as exc:
            raise PayloadError(f"unexpected payload shape ({type(exc).__name__}: {exc})") from exc

    return wrapper


def clean_strings(value):
    """The value with every string made storable: lone UTF-16 surrogates (from JSON escapes
    such as \\ud800) and NUL characters, which PostgreSQL text cannot hold, become U+FFFD."""
    if isinstance(value, str):
        if "\x00" not in value:
            try:
                value.encode("utf-8")
                return value
            except UnicodeEncodeError:
                pass
        value = value.replace("\x00", "\ufffd")
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_strings(v) for v in value]
    return value


@dataclass(frozen=True)
class AttachmentRef:
    kind: str  # image | video | sticker | audio | file | share_post | emoji | ...
    media_id: str = ""
    url: str = ""
    mime_type: str = ""
    size: int | None = None


@dataclass(frozen=True)
class Referral:
    """Where a conversation came from (an ad, a short link, ...)."""

    source: str  # "ad", "short_link", "ADS", "ctwa", ...
    ad_id: str = ""
    advertiser_id: str = ""
    ad_name: str = ""
    material_id: str = ""
    campaign: str = ""
    ctwa_clid: str = ""
    ref: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ad_id": self.ad_id,
            "advertiser_id": self.advertiser_id,
            "ad_name": self.ad_name,
            "material_id": self.material_id,
            "campaign": self.campaign,
            "ctwa_clid": self.ctwa_clid,
            "ref": self.ref,
            "raw": dict(self.raw),
        }


@dataclass(frozen=True)
class InboundMessage:
    """A message seen in a webhook: from the customer (``direction="in"``) or sent by the
    business (``direction="out"``: an echo of our own API send, or a person typing in the
    provider's own app)."""

    account_id: str
    conversation_external_id: str
    contact_external_id: str
    contact_name: str
    message_id: str
    timestamp: datetime
    text: str = ""
    attachments: tuple[AttachmentRef, ...] = ()
    direction: str = "in"
    is_echo: bool = False
    reply_to: str = ""
    referral: Referral | None = None
    message_type: str = "text"
    content_stripped: bool = False  # TikTok EEA events: TikTok withholds the content
    # LINE: a token that answers this message for free while it is fresh (single use)
    reply_token: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    account_id: str
    message_id: str
    status: str  # sent | delivered | read | failed
    timestamp: datetime
    error_code: str = ""
    error_message: str = ""
    recipient_id: str = ""


@dataclass(frozen=True)
class ReferralEvent:
    """A referral that arrives on its own (TikTok ``im_referral_msg``, Messenger
    ``messaging_referrals``), not attached to a message."""

    account_id: str
    conversation_external_id: str
    contact_external_id: str
    contact_name: str
    timestamp: datetime
    referral: Referral


@dataclass(frozen=True)
class ReadReceipt:
    """The customer read the conversation up to ``timestamp`` (TikTok ``im_mark_read_msg``,
    Messenger ``read``)."""

    account_id: str
    conversation_external_id: str
    contact_external_id: str
    timestamp: datetime


@dataclass(frozen=True)
class ActivityEvent:
    """Something a customer did that is not a message, shown as an activity line in the
    thread: ``follow`` (added the account, or unblocked it) or ``unfollow`` (blocked it)."""

    account_id: str
    conversation_external_id: str
    contact_external_id: str
    contact_name: str
    event_id: str  # the provider's id of this event: a redelivery is stored once
    kind: str  # follow | unfollow
    timestamp: datetime
    reply_token: str = ""


@dataclass(frozen=True)
class MessageChange:
    """A change to a message already stored: the customer reacted to it (``emoji``; "" takes
    the reaction back) or unsent it (its text and attachments are removed)."""

    account_id: str
    message_id: str
    kind: str  # reaction | unsend
    timestamp: datetime
    emoji: str = ""


@dataclass(frozen=True)
class TemplateStatusUpdate:
    """A provider changed the review status of a message template (WhatsApp's
    ``message_template_status_update``). Routed by the business account, not a number."""

    business_account_id: str
    template_id: str
    name: str
    language: str
    status: str  # Parley's status: approved, pending, rejected, paused, disabled, archived, other
    reason: str = ""


@dataclass(frozen=True)
class PostInfo:
    """What a provider says about a post or video comments are made on."""

    post_id: str
    caption: str = ""
    thumbnail_url: str = ""
    permalink: str = ""
    media_type: str = ""
    ad_id: str = ""
    ad_title: str = ""


@dataclass(frozen=True)
class CommentEvent:
    """Something that happened to a public comment under one of the business's posts.

    ``action``: ``upsert`` (created or edited; the fields are the comment as it is now),
    ``hide``, ``unhide``, ``delete``, or ``fetch`` (the provider only says that a comment
    exists: TikTok's ``comment.update`` carries no author, so the comment list API is asked).
    """

    account_id: str
    comment_id: str
    post_id: str
    action: str
    timestamp: datetime
    parent_id: str = ""
    author_id: str = ""
    author_name: str = ""
    text: str = ""
    is_own: bool = False
    is_live: bool = False
    edited: bool = False
    liked: bool | None = None
    hidden: bool = False
    post: PostInfo | None = None


COMMENT_ACTIONS = ("upsert", "hide", "unhide", "delete", "fetch")


@dataclass(frozen=True)
class ParsedBatch:
    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    referrals: tuple[ReferralEvent, ...] = ()
    reads: tuple[ReadReceipt, ...] = ()
    activities: tuple[ActivityEvent, ...] = ()
    changes: tuple[MessageChange, ...] = ()
    templates: tuple[TemplateStatusUpdate, ...] = ()
    ignored: tuple[str, ...] = ()  # human notes about parts deliberately skipped
    comments: tuple[CommentEvent, ...] = ()

    def items(self) -> tuple:
        return (
            *self.messages,
            *self.statuses,
            *self.referrals,
            *self.reads,
            *self.activities,
            *self.changes,
            *self.comments,
        )

    @property
    def account_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in self.items():
            seen.setdefault(item.account_id, None)
        return tuple(seen)

    def is_empty(self) -> bool:
        return not self.items() and not self.templates


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    reply_token: str = ""  # the reply token this send used up (LINE), else ""


@dataclass(frozen=True)
class MediaContent:
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class ChannelDraft:
    """What connecting a channel (or refreshing its token) produced, for the channels service
    to save. ``fields``: other ``Channel`` fields the provider fills (e.g. ``waba_id``)."""

    account_id: str
    name: str
    credentials: dict
    token_expires_at: datetime | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


# --- helpers shared by provider modules ---------------------------------------------------


def no_profile_name(client: httpx.Client, **kwargs: Any) -> str:
    """For providers whose webhooks carry the customer's name (no profile lookup)."""
    return ""


def no_refresh_needed(*, credentials: dict, token_expires_at: datetime | None, now) -> bool:
    return False


def no_refresh(client: httpx.Client, **kwargs: Any) -> ChannelDraft:
    raise ProviderError("This provider's tokens do not expire.", code="no_refresh", permanent=True)


def no_revoke(client: httpx.Client, **kwargs: Any) -> None:
    """Nothing to revoke at the provider (Parley forgets the token)."""


def no_oauth(**kwargs: Any):
    raise ProviderError("This provider connects with a form.", code="no_oauth", permanent=True)


def no_channel_secret(channel: Any) -> str:
    return ""


def no_account_in_payload(payload: Any) -> str:
    return ""


def meta_entry_account(payload: Any) -> str:
    """The Graph webhooks' first entry id (the Page, Instagram account or WhatsApp business
    account): the fairness key of pending events (``route_account_id``)."""
    try:
        return str(payload["entry"][0]["id"] or "")
    except (TypeError, KeyError, IndexError):
        return ""


def no_channel_usage(client: httpx.Client, **kwargs: Any) -> list[str]:
    """For providers without a message quota to show on the channel page."""
    return []


def no_reply_note(**kwargs: Any) -> str:
    """For providers whose reply window says it all."""
    return ""


def no_reply_allowance(client: httpx.Client, **kwargs: Any) -> str:
    """For providers without a per-customer allowance to show."""
    return ""


def pkce_verifier() -> str:
    """An OAuth PKCE code verifier: base64url without padding of 32 random bytes (43 chars)."""
    import base64
    import secrets

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup on any mapping (Django's ``request.headers``, a dict
    from tests, ``request.META``-style ``HTTP_X_...`` keys)."""
    lname = name.lower()
    for key, value in headers.items():
        if key.lower() == lname:
            return value
    meta_key = "HTTP_" + name.upper().replace("-", "_")
    value = headers.get(meta_key) if hasattr(headers, "get") else None
    return value or ""


def hmac_sha256_hex(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def body_hash(raw_body: bytes) -> str:
    return hashlib.sha256(raw_body).hexdigest()


def from_epoch_seconds(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(float(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PayloadError(f"bad timestamp {value!r}") from exc


def from_epoch_ms(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(float(value)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PayloadError(f"bad timestamp {value!r}") from exc


def require(mapping: Any, key: str, where: str = "payload") -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping or mapping[key] is None:
        raise PayloadError(f"missing {key!r} in {where}")
    return mapping[key]


def as_list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where} is not a list")
    return value


def json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (json.JSONDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_text(text: str, limit: int) -> None:
    if not text or not text.strip():
        raise ProviderError("The message is empty.", code="empty", permanent=True)
    if len(text) > limit:
        raise ProviderError(
            f"The message is too long ({len(text)} characters; the limit is {limit}).",
            code="too_long",
            permanent=True,
        )


def transport_error(exc: httpx.HTTPError) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            "The provider did not answer in time.", code="timeout", permanent=False
        )
    return ProviderError(
        f"Could not reach the provider ({type(exc).__name__}).", code="network", permanent=False
    )


def http_request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Every provider call goes through here: always a timeout, transport errors mapped."""
    kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    try:
        return client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    except httpx.InvalidURL as exc:  # e.g. an absurd id from a payload in the path or query
        raise ProviderError(
            "The request could not be built (invalid URL).", code="invalid_url", permanent=True
        ) from exc


def download(client: httpx.Client, url: str, *, headers: dict | None = None) -> MediaContent:
    response = http_request(client, "GET", url, headers=headers or {})
    if response.status_code >= 500:
        raise ProviderError(
            "The media server failed.", code=str(response.status_code), permanent=False
        )
    if response.status_code >= 400:
        raise ProviderError(
            "The media is no longer available.",
            code=str(response.status_code),
            permanent=True,
            http_status=response.status_code,
        )
    mime = response.headers.get("content-type", "application/octet-stream").split(";")[0]
    return MediaContent(content=response.content, mime_type=mime)
