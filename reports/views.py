"""Report pages: the overview with its charts, a sortable table per breakdown (+ CSV), and the
live view (its panel re-fetched by htmx). Owners, admins and viewers see everybody's
figures; an agent sees their own."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tenants.access import tenant_view
from tenants.permissions import Role

from . import charts, live, selectors
from .figures import Scope
from .periods import PRESETS, period_parse
from .tables import COLUMNS, DIMENSIONS, PLURALS, breakdown_csv, breakdown_rows, columns_for

LIVE_REFRESH_SECONDS = 15


def report_scope(membership, params) -> Scope:
    """Whose figures a member may read: an agent only their own."""
    own = membership.role == Role.AGENT
    return Scope(
        agent_id=membership.user_id if own else None,
        business_hours=params.get("hours") == "business",
    )


def _common(request, section: str) -> dict:
    period = period_parse(request.tenant, request.GET)
    scope = report_scope(request.membership, request.GET)
    query = {"period": period.key, "hours": "business" if scope.business_hours else "all"}
    if period.key == "custom":
        query |= {"start": period.start.isoformat(), "end": period.end.isoformat()}
    return {
        "nav": "reports",
        "section": section,
        "period": period,
        "previous": period.previous(),
        "presets": [
            ("today", _("Today")),
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
        ],
        "preset_keys": list(PRESETS),
        "scope": scope,
        "own_only": scope.agent_id is not None,
        "query": query,
        "qs": urlencode(query),
        "dimensions": [(key, PLURALS[key]) for key in DIMENSIONS],
    }


@tenant_view("reports.view")
def overview(request):
    context = _common(request, "overview")
    tenant, period, scope = request.tenant, context["period"], context["scope"]
    current, distribution = selectors.report_overview(tenant, period, scope)
    previous = selectors.report_figures(tenant, period.previous(), scope)
    context |= {
        "cards": [
            (field, label, kind, getattr(current, field), getattr(previous, field))
            for field, label, kind, _prev in COLUMNS
        ],
        "volume": charts.volume_chart(period, selectors.volume_series(tenant, period, scope)),
        "heat": charts.heatmap_chart(selectors.heatmap(tenant, period, scope)),
        "distribution": charts.distribution_chart(distribution),
    }
    return render(request, "reports/overview.html", context)


def _breakdown_rows(request, dimension):
    context = _common(request, dimension)
    sort = request.GET.get("sort", "new")
    desc = request.GET.get("dir", "desc") != "asc"
    rows = breakdown_rows(
        request.tenant, context["period"], context["scope"], dimension, sort=sort, desc=desc
    )
    return context, rows, sort, desc


def breakdown_view(dimension: str):
    @tenant_view("reports.view")
    def view(request):
        context, rows, sort, desc = _breakdown_rows(request, dimension)
        headers = [("name", DIMENSIONS[dimension], "text")] + [
            (field, label, kind) for field, label, kind, _p in columns_for(dimension)
        ]
        context |= {
            "dimension": dimension,
            "title": PLURALS[dimension],
            "headers": [
                {
                    "field": field,
                    "label": label,
                    "kind": kind,
                    "sorted": field == sort,
                    "aria_sort": ("descending" if desc else "ascending") if field == sort else "",
                    "next_dir": "asc" if field == sort and desc else "desc",
                }
                for field, label, kind in headers
            ],
            "columns": columns_for(dimension),
            "rows": rows,
            "sort": sort,
            "dir": "desc" if desc else "asc",
            "export_url": reverse(f"reports_{dimension}_csv", args=[request.tenant.slug]),
        }
        return render(request, "reports/breakdown.html", context)

    view.__name__ = f"{dimension}_breakdown"
    return view


def breakdown_export(dimension: str):
    @tenant_view("reports.view")
    def view(request):
        context, rows, _sort, _desc = _breakdown_rows(request, dimension)
        period = context["period"]
        response = HttpResponse(
            "\ufeff" + breakdown_csv(dimension, rows), content_type="text/csv; charset=utf-8"
        )
        name = f"parley-{dimension}-{request.tenant.slug}-{period.start}-{period.end}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    view.__name__ = f"{dimension}_export"
    return view


def _live_context(request) -> dict:
    own = request.membership.role == Role.AGENT
    return {
        "nav": "reports",
        "section": "live",
        "own_only": own,
        "statuses": live.live_status_counts(request.membership, own_only=own),
        "waiting": live.live_waiting(request.membership),
        "agents": live.live_agents(request.membership, own_only=own),
        "refresh_seconds": LIVE_REFRESH_SECONDS,
        "dimensions": [(key, PLURALS[key]) for key in DIMENSIONS],
    }


@tenant_view("reports.view")
def live_page(request):
    return render(request, "reports/live.html", _live_context(request))


@tenant_view("reports.view")
def live_panel(request):
    return render(request, "reports/_live_panel.html", _live_context(request))
