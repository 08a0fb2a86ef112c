"""Rules as owners and admins edit them (create, update, reorder, enable, duplicate,
delete) and the safety limits every rule obeys; each change audited. A change of keywords
bumps the tenant's keyword version (``keyword_versions``), so every process rebuilds its
matcher."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.automation.keyword_versions import AUTOMATION, keywords_changed
from inbox.automation.models import AutomationSettings, AutoReplyRule, Keyword
from inbox.automation.selectors import automation_settings_get
from tenants.services import audit_log_record

RULE_FIELDS = (
    "name",
    "enabled",
    "trigger",
    "keyword_logic",
    "stop_after",
    "cooldown_minutes",
    "statuses",
    "from_ad",
    "reply_text",
    "assign",
    "assign_team",
    "set_status",
    "set_priority",
    "note_text",
    "send_template",
)
RULE_M2M = (
    "channels",
    "labels_required",
    "labels_excluded",
    "add_labels",
    "remove_labels",
    "assign_agents",
)


@transaction.atomic
def rule_save(
    *,
    tenant,
    actor,
    rule: AutoReplyRule | None = None,
    data: dict,
    keywords: list[str | tuple[str, str, bool]] | None = None,
    keyword_mode: str = "whole_word",
    accent_insensitive: bool = False,
) -> AutoReplyRule:
    """Create (rule=None) or update a rule from cleaned form data; ``keywords`` replaces the
    rule's keywords when given: plain texts take ``keyword_mode`` and ``accent_insensitive``,
    ``(text, mode, accent_insensitive)`` tuples carry their own."""
    creating = rule is None
    if creating:
        last = AutoReplyRule.objects.for_tenant(tenant).aggregate(m=Max("position"))["m"]
        rule = AutoReplyRule(tenant=tenant, position=(last + 1) if last is not None else 0)
    changed = [name for name in RULE_FIELDS if name in data and getattr(rule, name) != data[name]]
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.full_clean(exclude=["tenant"])
    rule.save()
    for name in RULE_M2M:
        if name in data:
            before = set() if creating else set(getattr(rule, name).values_list("pk", flat=True))
            getattr(rule, name).set(data[name])
            if before != {obj.pk for obj in data[name]}:
                changed.append(name)
    if keywords is not None:
        old = [(k.text, k.mode, k.accent_insensitive) for k in rule.keywords.all()]
        new = [
            (k, keyword_mode, accent_insensitive) if isinstance(k, str) else tuple(k)
            for k in keywords
        ]
        if old != new:
            rule.keywords.all().delete()
            Keyword.objects.bulk_create(
                Keyword(tenant=tenant, rule=rule, text=text, mode=mode, accent_insensitive=accents)
                for text, mode, accents in new
            )
            changed.append("keywords")
            keywords_changed(scope=AUTOMATION, tenant_id=tenant.pk)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.rule.created" if creating else "automation.rule.updated",
        target=rule,
        details={"name": rule.name, "changed": changed},
    )
    return rule


def _renumber(tenant) -> list[AutoReplyRule]:
    rules = list(
        AutoReplyRule.objects.for_tenant(tenant).select_for_update().order_by("position", "id")
    )
    for index, rule in enumerate(rules):
        if rule.position != index:
            rule.position = index
            rule.save(update_fields=["position"])
    return rules


@transaction.atomic
def rule_move(*, tenant, actor, rule: AutoReplyRule, direction: str) -> None:
    rules = _renumber(tenant)
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rules):
        return
    a, b = rules[index], rules[other]
    a.position, b.position = b.position, a.position
    a.save(update_fields=["position"])
    b.save(update_fields=["position"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.rule.moved",
        target=rule,
        details={"name": rule.name, "direction": direction, "position": a.position + 1},
    )


@transaction.atomic
def rule_reorder(*, tenant, actor, rule_ids: list[int]) -> None:
    """Set the order of the tenant's rules (ids not listed keep their order, after)."""
    rules = _renumber(tenant)
    by_id = {r.pk: r for r in rules}
    ordered = [by_id[i] for i in rule_ids if i in by_id]
    ordered += [r for r in rules if r not in ordered]
    for index, rule in enumerate(ordered):
        if rule.position != index:
            rule.position = index
            rule.save(update_fields=["position"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.rule.reordered",
        details={"order": [r.name for r in ordered]},
    )


@transaction.atomic
def rule_set_enabled(*, tenant, actor, rule: AutoReplyRule, enabled: bool) -> AutoReplyRule:
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.rule.enabled" if enabled else "automation.rule.disabled",
        target=rule,
        details={"name": rule.name},
    )
    return rule


@transaction.atomic
def rule_duplicate(*, tenant, actor, rule: AutoReplyRule) -> AutoReplyRule:
    """A disabled copy right after the original (so it never answers twice by surprise)."""
    _renumber(tenant)
    rule.refresh_from_db()
    AutoReplyRule.objects.for_tenant(tenant).filter(position__gt=rule.position).update(
        position=F("position") + 1
    )
    copy = AutoReplyRule.objects.get(pk=rule.pk)
    copy.pk = None
    copy.id = None
    copy.name = (_("Copy of %s") % rule.name)[:120]
    copy.enabled = False
    copy.position = rule.position + 1
    copy.round_robin_last_user_id = None
    copy.created_at = timezone.now()
    copy.save()
    for name in RULE_M2M:
        getattr(copy, name).set(getattr(rule, name).all())
    Keyword.objects.bulk_create(
        Keyword(
            tenant=tenant,
            rule=copy,
            text=k.text,
            mode=k.mode,
            accent_insensitive=k.accent_insensitive,
        )
        for k in rule.keywords.all()
    )
    keywords_changed(scope=AUTOMATION, tenant_id=tenant.pk)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.rule.duplicated",
        target=copy,
        details={"name": copy.name, "from": rule.name, "from_id": rule.pk},
    )
    return copy


@transaction.atomic
def rule_delete(*, tenant, actor, rule: AutoReplyRule) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.rule.deleted",
        target=rule,
        details={"name": rule.name},
    )
    rule.delete()
    keywords_changed(scope=AUTOMATION, tenant_id=tenant.pk)


@transaction.atomic
def automation_settings_update(
    *, tenant, actor, max_replies_per_hour: int, away_agent_grace_minutes: int
) -> AutomationSettings:
    settings = automation_settings_get(tenant=tenant)
    settings.max_replies_per_hour = max_replies_per_hour
    settings.away_agent_grace_minutes = away_agent_grace_minutes
    settings.save(update_fields=["max_replies_per_hour", "away_agent_grace_minutes"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.settings.updated",
        details={
            "max_replies_per_hour": max_replies_per_hour,
            "away_agent_grace_minutes": away_agent_grace_minutes,
        },
    )
    return settings
