"""WhatsApp Cloud API message templates: list a business account's templates (paged), send one
with its parameters, read the ``message_template_status_update`` webhook.

Part of the WhatsApp provider (``whatsapp.py`` re-exports these); Django-free like the rest of
the wire code.
"""

from __future__ import annotations

from typing import Any

import httpx

from . import _meta
from .base import PayloadError, ProviderError, SendResult, TemplateStatusUpdate, require

LABEL = "WhatsApp"
MAX_PAGES = 50
PAGE_SIZE = 100
TEMPLATE_FIELDS = "id,name,language,status,category,parameter_format,components,rejected_reason"

# Graph's statuses and status-webhook events → Parley's template status.
STATUSES = {
    "APPROVED": "approved",
    "REINSTATED": "approved",
    "FLAGGED": "approved",  # a quality warning: still sendable until Meta pauses it
    "UNARCHIVED": "approved",
    "PENDING": "pending",
    "IN_APPEAL": "pending",
    "REJECTED": "rejected",
    "PAUSED": "paused",
    "DISABLED": "disabled",
    "PENDING_DELETION": "disabled",
    "DELETED": "disabled",
    "ARCHIVED": "archived",
}


def parley_status(value: Any) -> str:
    return STATUSES.get(str(value or "").upper(), "other")


def _template(item: dict) -> dict:
    components = item.get("components") or []
    if not isinstance(components, list):
        components = []
    reason = str(item.get("rejected_reason") or "")
    return {
        "id": str(item.get("id", "")),
        "name": str(require(item, "name", "template")),
        "language": str(require(item, "language", "template")),
        "status": parley_status(item.get("status")),
        "category": str(item.get("category", "") or ""),
        "parameter_format": str(item.get("parameter_format") or "POSITIONAL").upper(),
        "components": [c for c in components if isinstance(c, dict)],
        "rejection_reason": "" if reason.upper() == "NONE" else reason,
    }


def fetch_templates(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    business_account_id: str,
    version: str = _meta.GRAPH_VERSION,
    **opts: Any,
) -> list[dict]:
    """Every template of the WhatsApp business account, page after page (``paging.next``;
    the next page is asked for with its ``after`` cursor on our own base URL, never by
    following a URL from the answer)."""
    url = _meta.graph_url(base_url, version, f"{business_account_id}/message_templates")
    params = {"limit": str(PAGE_SIZE), "fields": TEMPLATE_FIELDS}
    templates: list[dict] = []
    for _page in range(MAX_PAGES):
        data = _meta.graph_get(client, url, credentials, LABEL, params=params)
        items = data.get("data") or []
        if not isinstance(items, list):
            raise ProviderError(
                "WhatsApp returned templates in an unknown shape.",
                code="bad_response",
                permanent=True,
            )
        try:
            templates.extend(_template(item) for item in items if isinstance(item, dict))
        except PayloadError as exc:
            raise ProviderError(str(exc), code="bad_response", permanent=True) from exc
        paging = data.get("paging") or {}
        after = ((paging.get("cursors") or {}).get("after")) if isinstance(paging, dict) else None
        if not paging.get("next") or not after:
            return templates
        params = {**params, "after": str(after)}
    return templates


def template_components(values: dict[str, list[tuple[str, str]]], *, named: bool) -> list[dict]:
    """``{"HEADER": [(key, value)], "BODY": [...]}`` → the send's ``components``."""
    components = []
    for kind in ("HEADER", "BODY"):
        pairs = values.get(kind) or []
        if not pairs:
            continue
        parameters = []
        for key, value in pairs:
            parameter = {"type": "text", "text": value}
            if named:
                parameter["parameter_name"] = key
            parameters.append(parameter)
        components.append({"type": kind.lower(), "parameters": parameters})
    return components


def send_template(
    client: httpx.Client,
    *,
    base_url: str,
    credentials: dict,
    account_id: str,
    recipient: str,
    template: dict,
    version: str = _meta.GRAPH_VERSION,
    **opts: Any,
) -> SendResult:
    """``template``: ``name``, ``language``, ``parameter_format`` and ``values`` (per component,
    the (placeholder, value) pairs in order)."""
    named = str(template.get("parameter_format", "")).upper() == "NAMED"
    values = {k: [tuple(p) for p in v] for k, v in (template.get("values") or {}).items()}
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient,
        "type": "template",
        "template": {
            "name": template["name"],
            "language": {"policy": "deterministic", "code": template["language"]},
        },
    }
    components = template_components(values, named=named)
    if components:
        body["template"]["components"] = components
    data = _meta.graph_post(
        client,
        _meta.graph_url(base_url, version, f"{account_id}/messages"),
        credentials,
        LABEL,
        body,
    )
    msgs = data.get("messages") or []
    if not msgs or not msgs[0].get("id"):
        raise ProviderError(
            "WhatsApp did not return a message id.", code="bad_response", permanent=False
        )
    return SendResult(provider_message_id=str(msgs[0]["id"]))


def template_status(business_account_id: str, value: dict) -> TemplateStatusUpdate:
    if not isinstance(value, dict):
        raise PayloadError("template status value is not an object")
    reason = str(value.get("reason") or "")
    other = value.get("other_info") or {}
    if isinstance(other, dict) and other.get("description"):
        reason = (
            f"{reason}: {other['description']}"
            if reason and reason != "NONE"
            else str(other["description"])
        )
    return TemplateStatusUpdate(
        business_account_id=business_account_id,
        template_id=str(value.get("message_template_id", "")),
        name=str(value.get("message_template_name", "")),
        language=str(value.get("message_template_language", "")),
        status=parley_status(require(value, "event", "template status")),
        reason="" if reason.upper() == "NONE" else reason[:300],
    )
