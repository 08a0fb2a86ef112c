"""The fake WhatsApp business account's message templates: the paged list
(``GET /<version>/<waba_id>/message_templates``) and the checks of a template send, with the
real API's error codes (132001 not found or not approved, 132015 paused, 132016 disabled,
132000 wrong number of parameters).

Templates live in the fake's store (``store.template_put``), per business account and linked
to its phone numbers; ``seed(store, waba_id, phone_number_ids)`` gives an account the
starting set the demo and the tests use.
"""

from __future__ import annotations

import base64
import re
import secrets

from .wire import json_response

ANY_NUMBER = "*"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

STARTING_TEMPLATES = (
    {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} is on its way. Reply here if you have "
                "any question.",
            },
            {"type": "FOOTER", "text": "Parley Shop"},
        ],
    },
    {
        "name": "follow_up",
        "language": "en_US",
        "category": "MARKETING",
        "components": [
            {"type": "BODY", "text": "Hi {{1}}, are you still interested? Reply to continue."}
        ],
    },
    {
        "name": "follow_up",
        "language": "vi",
        "category": "MARKETING",
        "components": [
            {
                "type": "BODY",
                "text": "Chào {{1}}, bạn vẫn còn quan tâm chứ? Hãy trả lời để tiếp tục.",
            }
        ],
    },
    {
        "name": "booking_reminder",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Hi {{1}}, a reminder of your booking: {{2}} on {{3}}."}
        ],
    },
    {
        "name": "csat_rating",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, how did we do? Reply with a number from 1 (bad) to 5 (great).",
            }
        ],
    },
    {
        "name": "spring_sale",
        "language": "en_US",
        "category": "MARKETING",
        "status": "PAUSED",
        "components": [{"type": "BODY", "text": "Spring sale: {{1}} off everything!"}],
    },
    {
        "name": "summer_sale",
        "language": "en_US",
        "category": "MARKETING",
        "status": "REJECTED",
        "rejected_reason": "PROMOTIONAL",
        "components": [{"type": "BODY", "text": "Summer sale!"}],
    },
)


def template_data(raw: dict, template_id: str = "") -> dict:
    data = {
        "id": template_id or str(secrets.randbelow(10**15) + 10**15),
        "name": raw["name"],
        "language": raw.get("language", "en_US"),
        "status": raw.get("status", "APPROVED"),
        "category": raw.get("category", "UTILITY"),
        "parameter_format": raw.get("parameter_format", "POSITIONAL"),
        "components": raw.get("components", []),
    }
    if raw.get("rejected_reason"):
        data["rejected_reason"] = raw["rejected_reason"]
    return data


def seed(store, waba_id: str, phone_number_ids: list[str]) -> list[dict]:
    """Give a fake business account the starting templates (kept if it has them already)."""
    existing = {(t["name"], t["language"]) for t in store.templates(waba_id)}
    added = []
    for raw in STARTING_TEMPLATES:
        if (raw["name"], raw.get("language", "en_US")) in existing:
            continue
        data = template_data(raw)
        store.template_put(waba_id, data, phone_number_ids)
        added.append(data)
    return added


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


def _index(cursor: str) -> int:
    try:
        return max(0, int(base64.urlsafe_b64decode(cursor.encode()).decode()))
    except (ValueError, UnicodeDecodeError):
        return 0


def template_list(fakes, waba_id: str, query: dict, version: str) -> tuple[int, dict, bytes]:
    try:
        limit = max(1, min(int(query.get("limit", "25")), 1000))
    except ValueError:
        limit = 25
    start = _index(query.get("after", "")) if query.get("after") else 0
    items = fakes.store.templates(waba_id)
    if not items and not query.get("after"):
        # A business account the fake has not seen: it starts with the starting templates,
        # usable from any simulated number ("*").
        seed(fakes.store, waba_id, [ANY_NUMBER])
        items = fakes.store.templates(waba_id)
    page = items[start : start + limit]
    body: dict = {"data": page}
    if page:
        after = _cursor(start + len(page))
        body["paging"] = {"cursors": {"before": _cursor(start), "after": after}}
        if start + len(page) < len(items):
            body["paging"]["next"] = (
                f"{fakes.public_base_url}{fakes.prefix}/graph/{version}/{waba_id}/message_templates"
                f"?limit={limit}&after={_cursor(start + len(page))}"
            )
    return json_response(200, body)


def _placeholders(template: dict, kind: str) -> list[str]:
    for component in template.get("components") or []:
        if str(component.get("type", "")).upper() == kind:
            if kind == "HEADER" and str(component.get("format", "TEXT")).upper() != "TEXT":
                return []
            return list(dict.fromkeys(PLACEHOLDER.findall(str(component.get("text", "")))))
    return []


def send_problem(fakes, phone_number_id: str, data: dict) -> tuple[str, str] | None:
    """(error code, message) when the real API would refuse this template send, else None."""
    spec = data.get("template")
    if not isinstance(spec, dict) or not spec.get("name"):
        return "100", "Invalid parameter"
    language = (spec.get("language") or {}).get("code", "")
    template = fakes.store.template_for_number(phone_number_id, str(spec["name"]), str(language))
    if template is None:
        return "132001", "Template name does not exist in the translation"
    status = str(template.get("status", "")).upper()
    if status == "PAUSED":
        return "132015", "Template is Paused"
    if status == "DISABLED":
        return "132016", "Template is disabled"
    if status not in ("APPROVED", "FLAGGED", "REINSTATED"):
        return "132001", "Template name does not exist in the translation"
    given = {
        str(c.get("type", "")).upper(): c.get("parameters") or []
        for c in spec.get("components") or []
        if isinstance(c, dict)
    }
    for kind in ("HEADER", "BODY"):
        expected = _placeholders(template, kind)
        parameters = given.get(kind, [])
        if len(parameters) != len(expected):
            return (
                "132000",
                "Number of parameters does not match the expected number of params",
            )
        for parameter in parameters:
            if not isinstance(parameter, dict) or not str(parameter.get("text", "")).strip():
                return "132000", "Parameter text is missing"
    return None
