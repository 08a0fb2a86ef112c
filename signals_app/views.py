"""TikTok signals pages: dashboard (+ CSV), connection (OAuth, pasted token, event set,
mapping, disconnect) and signal keywords. Function views: access → service → render/redirect."""

from __future__ import annotations

import csv
import hmac
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from inbox.automation.defaults import TIKTOK_PRIVACY, tiktok_privacy_notice
from tenants.access import access_signal_keyword, membership_for, tenant_view
from tenants.permissions import has_perm

from . import connection as conn_services
from . import keyword_lists, selectors, sending
from .forms import EventSetForm, KeywordImportForm, MappingForm, PeriodForm, TokenConnectForm
from .models import Signal, SignalKeyword, SignalReport, TikTokAdsConnection

OAUTH_SESSION_KEY = "signals_oauth"
OAUTH_STATE_TTL = 900


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _to_connection(request):
    return redirect("signals_connection", tenant_slug=request.tenant.slug)


# --- dashboard ------------------------------------------------------------------------------


@tenant_view("signals.view")
def dashboard(request):
    tenant = request.tenant
    period = selectors.period_parse(tenant, request.GET.get("start"), request.GET.get("end"))
    connection = conn_services.connection_for(tenant)
    bars, peak = selectors.signals_per_day(tenant, period)
    context = {
        "nav": "signals",
        "section": "dashboard",
        "connection": connection,
        "period": period,
        "period_form": PeriodForm(initial={"start": period.start, "end": period.end}),
        "ads": selectors.conversations_by_ad(tenant, period),
        "campaigns": selectors.conversations_by_campaign(tenant, period),
        "bars": bars,
        "peak": peak,
        "legend": [
            {"label": label, "color": selectors.SIGNAL_COLORS[value]}
            for value, label in Signal.choices
        ],
        "health": selectors.delivery_health(tenant, connection),
        "failed_reports": selectors.recent_reports(tenant, status=SignalReport.Status.FAILED),
        "recent_reports": selectors.recent_reports(tenant),
        "can_manage": has_perm(request.membership, "signals.manage"),
        "simulator_requests": selectors.simulator_requests(connection),
    }
    return render(request, "signals_app/dashboard.html", context)


@tenant_view("signals.view")
def export_csv(request):
    tenant = request.tenant
    period = selectors.period_parse(tenant, request.GET.get("start"), request.GET.get("end"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"tiktok-signals-{tenant.slug}-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)

    def cell(value):
        # Spreadsheet formula injection: campaign names come from ad platforms.
        text = str(value)
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    # Headers in the person's language; the cells stay machine-readable (codes, plain numbers,
    # ISO dates) so a spreadsheet or script reads them the same in every language.
    writer.writerow(
        [
            pgettext("CSV column", "Section"),
            pgettext("CSV column", "Source"),
            pgettext("CSV column", "Campaign"),
            pgettext("CSV column", "Ad ID"),
            pgettext("CSV column", "Conversations"),
            pgettext("CSV column", "Payments"),
            pgettext("CSV column", "Conversion (%)"),
        ]
    )
    for row in selectors.conversations_by_ad(tenant, period):
        writer.writerow(
            [
                "ad",
                row.source,
                cell(row.campaign),
                cell(row.ad_id),
                row.conversations,
                row.payments,
                row.conversion,
            ]
        )
    for row in selectors.conversations_by_campaign(tenant, period):
        writer.writerow(
            [
                "campaign",
                row.source,
                cell(row.campaign),
                "",
                row.conversations,
                row.payments,
                row.conversion,
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            pgettext("CSV column", "Day"),
            *[str(label) for label in Signal.labels],
            pgettext("CSV column", "Total"),
        ]
    )
    bars, _peak = selectors.signals_per_day(tenant, period)
    for bar in bars:
        writer.writerow([bar.day.isoformat(), *[bar.counts[s] for s in Signal.values], bar.total])
    return response


@tenant_view("signals.manage")
@require_POST
def reports_retry(request):
    count = sending.signal_reports_retry_failed(tenant=request.tenant, actor=request.user)
    messages.success(request, _("%(n)d failed reports queued again.") % {"n": count})
    return redirect("signals_dashboard", tenant_slug=request.tenant.slug)


# --- connection -------------------------------------------------------------------------------


@tenant_view("signals.manage")
def connection_page(request):
    connection = conn_services.connection_for(request.tenant)
    simulated = bool(connection and connection.simulated)
    mapping = conn_services.effective_mapping(connection)
    mapping_form = MappingForm(
        initial={
            "event_source": (connection.event_source if connection else "")
            or settings.TIKTOK_EVENT_SOURCE,
            **{f"event_{s}": name for s, name in mapping.items()},
        }
    )
    context = {
        "nav": "signals",
        "section": "connection",
        "connection": connection,
        "scopes": conn_services.scope_explanations(),
        "token_form": TokenConnectForm(),
        "event_set_form": EventSetForm(
            can_create=conn_services.event_set_creation_available(simulated=simulated),
            initial={"event_set_id": connection.event_set_id if connection else ""},
        ),
        "mapping_form": mapping_form,
        "simulator_enabled": settings.SIMULATOR_ENABLED,
        "privacy_notice": tiktok_privacy_notice(tenant=request.tenant),
        "privacy_kind": TIKTOK_PRIVACY,
    }
    return render(request, "signals_app/connection.html", context)


def _callback_uri(request) -> str:
    return request.build_absolute_uri(reverse("signals_oauth_callback"))


@tenant_view("signals.manage")
@require_POST
def oauth_start(request):
    simulated = settings.SIMULATOR_ENABLED and request.POST.get("simulated") == "1"
    state = conn_services.oauth_new_state()
    redirect_uri = _callback_uri(request)
    pending = {
        k: v
        for k, v in request.session.get(OAUTH_SESSION_KEY, {}).items()
        if v.get("at", 0) > time.time() - OAUTH_STATE_TTL
    }
    pending[state] = {
        "tenant": request.tenant.slug,
        "simulated": simulated,
        "redirect_uri": redirect_uri,
        "at": time.time(),
    }
    request.session[OAUTH_SESSION_KEY] = pending
    return redirect(
        conn_services.oauth_authorize_url(
            state=state, redirect_uri=redirect_uri, simulated=simulated
        )
    )


@login_required
@require_GET
def oauth_callback(request):
    state = request.GET.get("state", "")
    pending = request.session.get(OAUTH_SESSION_KEY, {})
    entry = None
    for known, value in pending.items():
        if state and hmac.compare_digest(known, state):
            entry = value
            break
    if entry is None or entry.get("at", 0) < time.time() - OAUTH_STATE_TTL:
        return render(
            request,
            "signals_app/oauth_error.html",
            {"error": _("This connection attempt expired or was not started here. Start again.")},
            status=400,
        )
    pending.pop(state, None)
    request.session[OAUTH_SESSION_KEY] = pending
    membership = membership_for(request.user, entry["tenant"])
    if membership is None:
        raise Http404
    if not has_perm(membership, "signals.manage"):
        raise PermissionDenied
    tenant = membership.tenant
    target = redirect("signals_connection", tenant_slug=tenant.slug)
    if request.GET.get("error"):
        messages.error(
            request,
            _("TikTok did not connect: %(e)s")
            % {"e": request.GET.get("error_description") or request.GET.get("error")},
        )
        return target
    try:
        conn_services.oauth_complete(
            tenant=tenant,
            actor=request.user,
            auth_code=request.GET.get("code", ""),
            redirect_uri=entry["redirect_uri"],
            simulated=bool(entry.get("simulated")),
        )
    except ValidationError as exc:
        _errors(request, exc)
        return target
    messages.success(request, _("TikTok Ads authorized. Now choose the Message Event Set."))
    return target


@tenant_view("signals.manage")
@require_POST
def event_set_choose(request):
    connection = conn_services.connection_for(request.tenant)
    if (
        connection is None
        or connection.method != TikTokAdsConnection.Method.OAUTH
        or not (connection.credentials or {}).get("access_token")
    ):
        messages.error(request, _("Connect with TikTok first."))
        return _to_connection(request)
    form = EventSetForm(
        request.POST,
        can_create=conn_services.event_set_creation_available(simulated=connection.simulated),
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _to_connection(request)
    try:
        if form.cleaned_data["choice"] == "create":
            conn_services.event_set_choose(
                connection=connection, actor=request.user, create_name=form.cleaned_data["name"]
            )
        else:
            conn_services.event_set_choose(
                connection=connection,
                actor=request.user,
                event_set_id=form.cleaned_data["event_set_id"],
            )
    except ValidationError as exc:
        _errors(request, exc)
        return _to_connection(request)
    messages.success(request, _("Connected: the test event reached TikTok. Signals are reported."))
    return _to_connection(request)


@tenant_view("signals.manage")
@require_POST
def token_connect(request):
    form = TokenConnectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter both the event set id and the access token."))
        return _to_connection(request)
    try:
        conn_services.token_connect(
            tenant=request.tenant,
            actor=request.user,
            event_set_id=form.cleaned_data["event_set_id"],
            access_token=form.cleaned_data["access_token"],
            simulated=settings.SIMULATOR_ENABLED and request.POST.get("simulated") == "1",
        )
    except ValidationError as exc:
        _errors(request, exc)
        return _to_connection(request)
    messages.success(request, _("Connected: the test event reached TikTok. Signals are reported."))
    return _to_connection(request)


@tenant_view("signals.manage")
@require_POST
def mapping_update(request):
    connection = conn_services.connection_for(request.tenant)
    if connection is None:
        messages.error(request, _("Connect TikTok Ads first."))
        return _to_connection(request)
    form = MappingForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            for error in errors:
                messages.error(request, f"{label}: {error}")
        return _to_connection(request)
    conn_services.mapping_update(
        connection=connection,
        actor=request.user,
        event_source=form.cleaned_data["event_source"],
        mapping=form.mapping(),
    )
    messages.success(request, _("Event mapping saved."))
    return _to_connection(request)


@tenant_view("signals.manage")
@require_POST
def disconnect(request):
    result = conn_services.disconnect(tenant=request.tenant, actor=request.user)
    messages.success(
        request,
        _("TikTok Ads disconnected. %(n)d pending reports were cancelled.")
        % {"n": result.get("cancelled", 0)},
    )
    if result.get("revoke_error"):
        messages.error(
            request,
            _("TikTok did not confirm revoking the token (%(e)s); Parley deleted it anyway.")
            % {"e": result["revoke_error"]},
        )
    return _to_connection(request)


# --- keywords ---------------------------------------------------------------------------------


@tenant_view("signals.manage")
def keywords(request):
    qs = SignalKeyword.objects.for_tenant(request.tenant)
    signal = request.GET.get("signal", "")
    if signal:
        qs = qs.filter(signal=signal)
    context = {
        "nav": "signals",
        "section": "keywords",
        "keywords": qs.order_by("signal", "language", "text")[:1000],
        "total": qs.count(),
        "counts": selectors.keyword_counts(request.tenant),
        "signals": [(v, label) for v, label in Signal.choices if v != "conversation_started"],
        "current_signal": signal,
        "import_form": KeywordImportForm(),
    }
    return render(request, "signals_app/keywords.html", context)


@tenant_view("signals.manage")
@require_POST
def keywords_import(request):
    form = KeywordImportForm(request.POST, request.FILES)
    target = redirect("signals_keywords", tenant_slug=request.tenant.slug)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or JSON file."))
        return target
    upload = form.cleaned_data["file"]
    try:
        if upload.size > keyword_lists.MAX_BYTES:
            raise ValidationError(_("The file is larger than 2 MB."))
        rows = keyword_lists.parse_upload(upload.name, upload.read())
    except ValidationError as exc:
        messages.error(request, _("Nothing was imported. Fix these problems and upload again:"))
        _errors(request, exc)
        return target
    result = keyword_lists.keywords_import(
        tenant=request.tenant,
        actor=request.user,
        rows=rows,
        replace=form.cleaned_data["replace"],
    )
    messages.success(
        request,
        _("Imported %(added)d keywords (%(skipped)d already present).") % result,
    )
    return target


@tenant_view("signals.manage")
@require_POST
def keywords_shipped(request):
    result = keyword_lists.keywords_install_shipped(tenant=request.tenant, actor=request.user)
    messages.success(request, _("Starting list loaded: %(added)d keywords added.") % result)
    return redirect("signals_keywords", tenant_slug=request.tenant.slug)


@tenant_view("signals.manage")
@require_POST
def keyword_delete(request, signal_keyword_id: int):
    keyword = access_signal_keyword(request.membership, signal_keyword_id)
    keyword_lists.keyword_delete(keyword=keyword, actor=request.user)
    messages.success(request, _("Keyword deleted."))
    return redirect("signals_keywords", tenant_slug=request.tenant.slug)


# --- the simulator's consent page --------------------------------------------------------------


@require_GET
def fake_authorize(request):
    """The built-in TikTok's authorization page (SIMULATOR_ENABLED only)."""
    redirect_uri = request.GET.get("redirect_uri", "")
    if not url_has_allowed_host_and_scheme(
        redirect_uri, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponse("redirect_uri not allowed", status=400, content_type="text/plain")
    context = {
        "redirect_uri": redirect_uri,
        "state": request.GET.get("state", ""),
        "scopes": [s for s in request.GET.get("scope", "").split(",") if s],
        "client_key": request.GET.get("client_key", ""),
    }
    return render(request, "signals_app/fake_authorize.html", context)
