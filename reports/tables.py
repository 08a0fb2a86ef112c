"""The breakdown tables: rows of a dimension with the previous period beside them, their
columns (headers translated), sorting, and the CSV export. Shared by the pages and the API."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inbox.models import Channel, Label, Team
from tenants.models import Membership

from .figures import Figures, Scope
from .periods import Period
from .selectors import report_breakdown

DIMENSIONS = {
    "agent": gettext_lazy("Agent"),
    "team": gettext_lazy("Team"),
    "channel": gettext_lazy("Channel"),
    "label": gettext_lazy("Label"),
    "campaign": gettext_lazy("Campaign"),
}
PLURALS = {
    "agent": gettext_lazy("Agents"),
    "team": gettext_lazy("Teams"),
    "channel": gettext_lazy("Channels"),
    "label": gettext_lazy("Labels"),
    "campaign": gettext_lazy("Campaigns"),
}
# (field of Figures, header, kind: count | seconds | ratio | share, with the previous period)
COLUMNS = (
    ("new", gettext_lazy("New"), "count", True),
    ("resolved", gettext_lazy("Resolved"), "count", True),
    ("open", gettext_lazy("Still open"), "count", False),
    ("messages_in", gettext_lazy("Messages in"), "count", False),
    ("messages_out", gettext_lazy("Messages out"), "count", False),
    ("first_response_median", gettext_lazy("First response (median)"), "seconds", True),
    ("first_response_p90", gettext_lazy("First response (90th percentile)"), "seconds", False),
    ("resolution_median", gettext_lazy("Resolution time (median)"), "seconds", True),
    ("resolution_p90", gettext_lazy("Resolution time (90th percentile)"), "seconds", False),
    ("replies_per_resolution", gettext_lazy("Replies per resolution"), "ratio", False),
    ("bot_handled_share", gettext_lazy("Handled by the bot"), "share", False),
    ("csat_responses", gettext_lazy("CSAT responses"), "count", False),
    ("csat_average", gettext_lazy("CSAT (average of 5)"), "ratio", True),
    ("csat_satisfied_share", gettext_lazy("Satisfied (4–5)"), "share", False),
)
SORTABLE = {"name"} | {c[0] for c in COLUMNS}


@dataclass
class BreakdownRow:
    key: int | str
    name: str
    current: Figures
    previous: Figures


def dimension_names(tenant, dimension: str, keys) -> dict:
    """What each key is called: the member's name, the channel's, the label's, the campaign."""
    if dimension == "agent":
        names = {
            m.user_id: m.user.get_full_name() or m.user.email
            for m in Membership.objects.for_tenant(tenant).select_related("user")
        }
        names[0] = _("Nobody (unassigned or automatic)")
    elif dimension == "team":
        names = dict(Team.objects.for_tenant(tenant).values_list("pk", "name"))
        names[0] = _("No team")
    elif dimension == "channel":
        names = dict(Channel.objects.for_tenant(tenant).values_list("pk", "name"))
    elif dimension == "label":
        names = dict(Label.objects.for_tenant(tenant).values_list("pk", "name"))
    else:
        names = {key: key for key in keys if key}
        names[""] = _("No campaign")
    return {key: names.get(key) or _("(deleted)") for key in keys}


def breakdown_rows(
    tenant, period: Period, scope: Scope, dimension: str, *, sort: str = "new", desc: bool = True
) -> list[BreakdownRow]:
    current = report_breakdown(tenant, period, scope, dimension)
    previous = report_breakdown(tenant, period.previous(), scope, dimension)
    keys = set(current) | set(previous)
    if scope.agent_id is not None and dimension == "agent":
        keys &= {scope.agent_id}
    names = dimension_names(tenant, dimension, keys)
    rows = [
        BreakdownRow(key, names[key], current.get(key, Figures()), previous.get(key, Figures()))
        for key in keys
    ]
    if sort not in SORTABLE:
        sort = "new"
    if sort == "name":
        rows.sort(key=lambda r: str(r.name).lower(), reverse=desc)
    else:
        present = [r for r in rows if getattr(r.current, sort) is not None]
        absent = [r for r in rows if getattr(r.current, sort) is None]
        present.sort(key=lambda r: (getattr(r.current, sort), str(r.name)), reverse=desc)
        rows = present + sorted(absent, key=lambda r: str(r.name))
    return rows


def columns_for(dimension: str):
    """Labels have no message counts (a message carries no label)."""
    if dimension == "label":
        return [c for c in COLUMNS if c[0] not in ("messages_in", "messages_out")]
    return list(COLUMNS)


def _csv_value(value, kind: str):
    if value is None:
        return ""
    if kind == "seconds":
        return f"{value:.0f}"
    if kind in ("ratio", "share"):
        return f"{value:.2f}" if kind == "ratio" else f"{value * 100:.1f}"
    return value


def breakdown_csv(dimension: str, rows: list[BreakdownRow]) -> str:
    """The table as CSV, headers in the reader's language; times in seconds, shares in %."""
    columns = columns_for(dimension)
    out = io.StringIO()
    writer = csv.writer(out)
    header = [str(DIMENSIONS[dimension])]
    for _field, label, kind, with_previous in columns:
        unit = {"seconds": _("seconds"), "share": "%"}.get(kind)
        text = f"{label} ({unit})" if unit else str(label)
        header.append(text)
        if with_previous:
            header.append(_("%(column)s, previous period") % {"column": text})
    writer.writerow(header)
    for row in rows:
        line = [_csv_safe(str(row.name))]
        for field, _label, kind, with_previous in columns:
            line.append(_csv_value(getattr(row.current, field), kind))
            if with_previous:
                line.append(_csv_value(getattr(row.previous, field), kind))
        writer.writerow(line)
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
