"""Reads of the automation app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.automation.engine import (
    RULE_ID_ARRAYS,
    RULE_PREFETCH,
    RuleData,
    Situation,
    is_open,
    keyword_specs,
    rule_applies,
    tenant_zone,
)
from inbox.automation.keyword_versions import AUTOMATION, cached_matcher
from inbox.automation.models import (
    AutomationSettings,
    AutoReplyRule,
    BusinessHours,
    CannedResponse,
    Holiday,
    Keyword,
    RuleRun,
)
from inbox.models import Label
from inbox.pass_memo import memo
from keywords import KeywordMatch, KeywordMatcher
from tenants.models import AuditLog


def automation_settings_get(*, tenant) -> AutomationSettings:
    def load():
        settings, _ = AutomationSettings.objects.get_or_create(tenant=tenant)
        return settings

    return memo(("automation_settings", getattr(tenant, "pk", tenant)), load)


def rule_list(*, tenant):
    return (
        AutoReplyRule.objects.for_tenant(tenant)
        .select_related("send_template")
        .prefetch_related(*RULE_PREFETCH)
        .order_by("position", "id")
    )


def rule_list_with_activity(*, tenant, days: int = 7):
    """The rules with how often each fired in the last ``days`` days (one query, no N+1)."""
    since = timezone.now() - timedelta(days=days)
    return rule_list(tenant=tenant).annotate(
        fired_recently=Count(
            "runs", filter=Q(runs__outcome=RuleRun.Outcome.FIRED, runs__created_at__gte=since)
        )
    )


def rule_run_list(*, tenant, rule: AutoReplyRule, limit: int = 20):
    return (
        RuleRun.objects.for_tenant(tenant)
        .filter(rule=rule)
        .select_related("conversation__contact")
        .order_by("-created_at", "-id")[:limit]
    )


def rules_loaded(*, tenant, enabled_only: bool = False) -> list[RuleData]:
    """The tenant's rules as ``RuleData``, in order: two queries (the rules with their
    relations' ids as arrays, then their keywords), once per processing pass."""

    def load():
        rules = (
            AutoReplyRule.objects.for_tenant(tenant)
            .select_related("send_template")
            .prefetch_related("keywords")
            .annotate(**{f"{name}_ids": _related_ids(name) for name in RULE_ID_ARRAYS})
            .order_by("position", "id")
        )
        if enabled_only:
            rules = rules.filter(enabled=True)
        return [RuleData.from_rule(rule) for rule in rules]

    return memo(("rules_loaded", getattr(tenant, "pk", tenant), enabled_only), load)


def _related_ids(relation: str) -> ArraySubquery:
    """The ids a rule's many-to-many relation points at, as an array column."""
    field = AutoReplyRule._meta.get_field(relation)
    rows = field.remote_field.through.objects.filter(**{field.m2m_column_name(): OuterRef("pk")})
    return ArraySubquery(rows.values(field.m2m_reverse_name()))


def tenant_matcher(*, tenant) -> KeywordMatcher:
    """The tenant's keyword automaton, cached per process and rebuilt when the tenant's
    keyword version in the cache changes (every keyword change bumps it): no query unless
    it changed."""

    def build():
        return keyword_specs(rules_loaded(tenant=tenant))

    return cached_matcher(scope=AUTOMATION, tenant_id=tenant.pk, build=build)


def business_hours_list(*, tenant):
    return BusinessHours.objects.for_tenant(tenant)


def holiday_list(*, tenant):
    return Holiday.objects.for_tenant(tenant)


def is_outside_business_hours(*, tenant, at: datetime) -> bool:
    """True when a weekly schedule exists and ``at`` is outside it, or on a holiday. Without
    any schedule the business counts as always open (away rules never fire)."""
    intervals = memo(
        ("business_hours", tenant.pk),
        lambda: [(h.weekday, h.opens_at, h.closes_at) for h in business_hours_list(tenant=tenant)],
    )
    zone = tenant_zone(tenant.timezone)
    local_day = at.astimezone(zone).date()
    on_holiday = memo(
        ("holiday", tenant.pk, local_day),
        lambda: holiday_list(tenant=tenant).filter(date=local_day).exists(),
    )
    if not intervals and not on_holiday:
        return False
    return not is_open(
        at, zone=zone, intervals=intervals, holidays=[local_day] if on_holiday else []
    )


def canned_response_list(*, tenant, query: str = ""):
    """For the composer and the admin page: shortcut or text containing ``query``."""
    qs = CannedResponse.objects.for_tenant(tenant)
    if query:
        qs = qs.filter(Q(shortcut__icontains=query) | Q(text__icontains=query))
    return qs.order_by("shortcut")


def rules_requiring_label(*, tenant, label: Label):
    return AutoReplyRule.objects.for_tenant(tenant).filter(labels_required=label)


def label_list(*, tenant):
    return Label.objects.for_tenant(tenant).annotate(conversation_count=Count("conversations"))


def audit_log_list(*, tenant, prefix: str = ""):
    qs = AuditLog.objects.for_tenant(tenant).select_related("actor")
    if prefix:
        qs = qs.filter(action__startswith=prefix)
    return qs.order_by("-created_at", "-id")


# --------------------------------------------------------------------------- try a message


@dataclass
class RulePreview:
    rule: AutoReplyRule
    applies: bool
    fires: bool
    reason: str
    keywords: list[str]


@dataclass
class Preview:
    matches: list[tuple[KeywordMatch, AutoReplyRule, str]]  # match, its rule, matched text
    rules: list[RulePreview]
    outside_hours: bool


def rule_preview(
    *,
    tenant,
    text: str,
    channel_id: int | None,
    at: datetime,
    is_first_message: bool = True,
    from_ad: bool = False,
) -> Preview:
    """Which keywords match a sample message and which rules would fire, in order, for a
    new open conversation without labels (no cooldown or cap: nothing was sent yet)."""
    rules = rules_loaded(tenant=tenant)
    matcher = tenant_matcher(tenant=tenant)
    found = matcher.find(text)
    rule_by_keyword = {k.id: data.rule for data in rules for k in data.keywords}
    keyword_ids = {m.key for m in found}
    outside = is_outside_business_hours(tenant=tenant, at=at)
    situation = Situation(
        channel_id=channel_id,
        status="open",
        label_ids=set(),
        from_ad=from_ad,
        is_first_message=is_first_message,
        outside_hours=outside,
        matched_keyword_ids=keyword_ids,
    )
    previews = []
    stopped = False
    for data in rules:
        applies, reason = rule_applies(data, situation)
        fires = applies and not stopped
        if applies and stopped:
            reason = _("stopped by an earlier rule")
        previews.append(
            RulePreview(
                rule=data.rule,
                applies=applies,
                fires=fires,
                reason=reason,
                keywords=[k.text for k in data.keywords if k.id in keyword_ids],
            )
        )
        if fires and data.rule.stop_after:
            stopped = True
    matches = [
        (m, rule_by_keyword[m.key], text[m.start : m.end])
        for m in found
        if m.key in rule_by_keyword
    ]
    return Preview(matches=matches, rules=previews, outside_hours=outside)


def keywords_of(*, tenant, rule: AutoReplyRule):
    return Keyword.objects.for_tenant(tenant).filter(rule=rule)
