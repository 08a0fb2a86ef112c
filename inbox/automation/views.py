"""Admin pages of automation: rules, "try a message", business hours and holidays, canned
responses, labels, and the audit log. Owners and admins only (403 for agents and viewers)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox.automation import defaults, selectors, services
from inbox.automation.engine import tenant_zone
from inbox.automation.forms import (
    WEEKDAYS,
    CannedResponseForm,
    HolidayForm,
    LabelForm,
    LabelMergeForm,
    RuleForm,
    SafetyForm,
    TryForm,
    parse_hours,
)
from inbox.automation.models import AutoReplyRule
from tenants.access import (
    access_auto_reply_rule,
    access_canned_response,
    access_holiday,
    access_label,
    tenant_view,
)

MANAGE = "automation.manage"


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _render(request, template, context):
    context.setdefault("nav", "automation")
    return render(request, template, context)


# --------------------------------------------------------------------------- rules


def _rules_context(request):
    return {"section": "rules", "rules": selectors.rule_list_with_activity(tenant=request.tenant)}


@tenant_view(MANAGE)
def rule_list(request):
    return _render(request, "automation/rules.html", _rules_context(request))


def _rule_form_save(request, form, rule=None):
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("keywords",)}
    return services.rule_save(
        tenant=request.tenant,
        actor=request.user,
        rule=rule,
        data=data,
        keywords=form.cleaned_data["keywords"],
        keyword_mode=form.cleaned_data["keyword_mode"],
        accent_insensitive=form.cleaned_data["accent_insensitive"],
    )


@tenant_view(MANAGE)
def rule_create(request):
    initial = defaults.default_reply_initial(
        request.GET.get("default"), request.GET.get("language"), new_rule=True
    )
    form = RuleForm(request.POST or None, tenant=request.tenant, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rule = _rule_form_save(request, form)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Rule “%s” created.") % rule.name)
            return redirect("automation_rules", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/rule_form.html",
        {
            "section": "rules",
            "form": form,
            **defaults.default_reply_picker(request.GET, request.tenant),
        },
    )


@tenant_view(MANAGE)
def rule_edit(request, rule_id):
    rule = access_auto_reply_rule(request.membership, rule_id)
    initial = defaults.default_reply_initial(
        request.GET.get("default"), request.GET.get("language"), new_rule=False
    )
    form = RuleForm(request.POST or None, instance=rule, tenant=request.tenant, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:  # the form changed ``rule`` in memory: the service gets the stored one
            _rule_form_save(request, form, AutoReplyRule.objects.get(pk=rule.pk))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Rule “%s” saved.") % rule.name)
            return redirect("automation_rules", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/rule_form.html",
        {
            "section": "rules",
            "form": form,
            "rule": rule,
            "runs": selectors.rule_run_list(tenant=request.tenant, rule=rule),
            **defaults.default_reply_picker(request.GET, request.tenant),
        },
    )


def _after_rule_change(request):
    if _is_htmx(request):
        return _render(request, "automation/_rules_table.html", _rules_context(request))
    return redirect("automation_rules", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(MANAGE)
def rule_toggle(request, rule_id):
    rule = access_auto_reply_rule(request.membership, rule_id)
    services.rule_set_enabled(
        tenant=request.tenant, actor=request.user, rule=rule, enabled=not rule.enabled
    )
    return _after_rule_change(request)


@require_POST
@tenant_view(MANAGE)
def rule_move(request, rule_id):
    rule = access_auto_reply_rule(request.membership, rule_id)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    services.rule_move(tenant=request.tenant, actor=request.user, rule=rule, direction=direction)
    return _after_rule_change(request)


@require_POST
@tenant_view(MANAGE)
def rule_duplicate(request, rule_id):
    rule = access_auto_reply_rule(request.membership, rule_id)
    copy = services.rule_duplicate(tenant=request.tenant, actor=request.user, rule=rule)
    messages.success(request, _("“%s” created, disabled: review it, then enable it.") % copy.name)
    return _after_rule_change(request)


@require_POST
@tenant_view(MANAGE)
def rule_delete(request, rule_id):
    rule = access_auto_reply_rule(request.membership, rule_id)
    services.rule_delete(tenant=request.tenant, actor=request.user, rule=rule)
    messages.success(request, _("Rule deleted."))
    return _after_rule_change(request)


# --------------------------------------------------------------------------- try a message


@tenant_view(MANAGE)
def try_message(request):
    form = TryForm(request.POST or None, tenant=request.tenant)
    preview = None
    zone = tenant_zone(request.tenant.timezone)
    if request.method == "POST" and form.is_valid():
        at = form.cleaned_data["at"]
        # The time typed in the form is the business's local time.
        at = timezone.now() if at is None else at.replace(tzinfo=None).replace(tzinfo=zone)
        channel = form.cleaned_data["channel"]
        preview = selectors.rule_preview(
            tenant=request.tenant,
            text=form.cleaned_data["text"],
            channel_id=channel.pk if channel else None,
            at=at,
            is_first_message=form.cleaned_data["first_message"],
            from_ad=form.cleaned_data["from_ad"],
        )
        preview.at_local = at.astimezone(zone)
    context = {"section": "try", "form": form, "preview": preview, "zone": str(zone)}
    if _is_htmx(request):
        return _render(request, "automation/_try_result.html", context)
    return _render(request, "automation/try.html", context)


# --------------------------------------------------------------------------- hours, holidays


@tenant_view(MANAGE)
def business_hours(request):
    settings = selectors.automation_settings_get(tenant=request.tenant)
    safety = SafetyForm(
        request.POST if request.POST.get("form") == "safety" else None,
        initial={
            "max_replies_per_hour": settings.max_replies_per_hour,
            "away_agent_grace_minutes": settings.away_agent_grace_minutes,
        },
    )
    if request.method == "POST" and request.POST.get("form") == "safety":
        if safety.is_valid():
            services.automation_settings_update(
                tenant=request.tenant, actor=request.user, **safety.cleaned_data
            )
            messages.success(request, _("Safety limits saved."))
            return redirect("automation_hours", tenant_slug=request.tenant.slug)
    elif request.method == "POST":
        intervals, errors = parse_hours(request.POST)
        for error in errors:
            messages.error(request, error)
        if not errors:
            services.business_hours_set(
                tenant=request.tenant, actor=request.user, intervals=intervals
            )
            messages.success(request, _("Business hours saved."))
            return redirect("automation_hours", tenant_slug=request.tenant.slug)
    hours = {h.weekday: h for h in selectors.business_hours_list(tenant=request.tenant)}
    days = [(day, label, hours.get(day)) for day, label in WEEKDAYS]
    return _render(
        request,
        "automation/hours.html",
        {
            "section": "hours",
            "days": days,
            "holidays": selectors.holiday_list(tenant=request.tenant),
            "holiday_form": HolidayForm(),
            "safety_form": safety,
            "zone": request.tenant.timezone,
            "open_now": not selectors.is_outside_business_hours(
                tenant=request.tenant, at=timezone.now()
            ),
        },
    )


@require_POST
@tenant_view(MANAGE)
def holiday_add(request):
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            services.holiday_add(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, _("Enter a valid date."))
    return redirect("automation_hours", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(MANAGE)
def holiday_delete(request, holiday_id):
    holiday = access_holiday(request.membership, holiday_id)
    services.holiday_delete(tenant=request.tenant, actor=request.user, holiday=holiday)
    return redirect("automation_hours", tenant_slug=request.tenant.slug)


# --------------------------------------------------------------------------- canned responses


@tenant_view(MANAGE)
def canned_list(request):
    form = CannedResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_response_create(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error("shortcut", exc)
        else:
            messages.success(request, _("Canned response added."))
            return redirect("automation_canned", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/canned.html",
        {
            "section": "canned",
            "form": form,
            "responses": selectors.canned_response_list(tenant=request.tenant),
        },
    )


@tenant_view("inbox.reply")
def canned_search(request):
    """For the composer (anyone who may reply): canned responses whose shortcut or text
    contains ``q``, as an htmx partial of options carrying the text to insert."""
    query = request.GET.get("q", "").strip().lstrip("/")[:40]
    responses = selectors.canned_response_list(tenant=request.tenant, query=query)[:20]
    return render(request, "automation/_canned_options.html", {"responses": responses})


@tenant_view(MANAGE)
def canned_edit(request, canned_response_id):
    canned = access_canned_response(request.membership, canned_response_id)
    form = CannedResponseForm(
        request.POST or None, initial={"shortcut": canned.shortcut, "text": canned.text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_response_update(
                tenant=request.tenant, actor=request.user, canned=canned, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error("shortcut", exc)
        else:
            messages.success(request, _("Canned response saved."))
            return redirect("automation_canned", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/canned_edit.html",
        {"section": "canned", "form": form, "canned": canned},
    )


@require_POST
@tenant_view(MANAGE)
def canned_delete(request, canned_response_id):
    canned = access_canned_response(request.membership, canned_response_id)
    services.canned_response_delete(tenant=request.tenant, actor=request.user, canned=canned)
    messages.success(request, _("Canned response deleted."))
    return redirect("automation_canned", tenant_slug=request.tenant.slug)


# --------------------------------------------------------------------------- labels

LABELS = "labels.manage"


@tenant_view(LABELS)
def label_list(request):
    form = LabelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.label_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Label added."))
            return redirect("automation_labels", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/labels.html",
        {"section": "labels", "form": form, "labels": selectors.label_list(tenant=request.tenant)},
    )


@tenant_view(LABELS)
def label_edit(request, label_id):
    label = access_label(request.membership, label_id)
    form = LabelForm(
        request.POST or None,
        initial={"name": label.name, "color": label.color, "description": label.description},
    )
    merge_form = LabelMergeForm(tenant=request.tenant, source=label)
    if request.method == "POST" and form.is_valid():
        try:
            services.label_update(
                tenant=request.tenant, actor=request.user, label=label, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Label saved."))
            return redirect("automation_labels", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/label_edit.html",
        {"section": "labels", "form": form, "merge_form": merge_form, "label": label},
    )


@require_POST
@tenant_view(LABELS)
def label_merge(request, label_id):
    label = access_label(request.membership, label_id)
    form = LabelMergeForm(request.POST, tenant=request.tenant, source=label)
    if form.is_valid():
        target = form.cleaned_data["target"]
        name = label.name
        services.label_merge(tenant=request.tenant, actor=request.user, source=label, target=target)
        messages.success(request, _("“%(a)s” merged into “%(b)s”.") % {"a": name, "b": target.name})
        return redirect("automation_labels", tenant_slug=request.tenant.slug)
    messages.error(request, _("Choose the label to merge into."))
    return redirect("automation_label_edit", tenant_slug=request.tenant.slug, label_id=label.pk)


@tenant_view(LABELS)
def label_delete(request, label_id):
    label = access_label(request.membership, label_id)
    if request.method == "POST":
        services.label_delete(tenant=request.tenant, actor=request.user, label=label)
        messages.success(request, _("Label deleted."))
        return redirect("automation_labels", tenant_slug=request.tenant.slug)
    return _render(
        request,
        "automation/label_delete.html",
        {
            "section": "labels",
            "label": label,
            "count": label.conversations.count(),
            "rules": selectors.rules_requiring_label(tenant=request.tenant, label=label),
        },
    )


# --------------------------------------------------------------------------- audit log


@tenant_view("audit.view")
def audit_log(request):
    prefix = request.GET.get("only", "")
    if prefix not in ("", "automation.", "labels."):
        prefix = ""
    page = Paginator(selectors.audit_log_list(tenant=request.tenant, prefix=prefix), 50).get_page(
        request.GET.get("page")
    )
    return _render(
        request, "automation/audit.html", {"section": "audit", "page": page, "only": prefix}
    )
