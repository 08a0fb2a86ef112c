"""Rule evaluation without side effects: shared by the real run and the "try a message" box.

Loaded rules are turned into ``RuleData`` snapshots (ids only, no queries afterwards), and a
``Situation`` describes the message and its conversation. ``rule_applies`` says whether one
rule's trigger and conditions hold, and why not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from inbox.automation.models import AutoReplyRule
from keywords import KeywordSpec, MatchMode


@dataclass(frozen=True)
class KeywordData:
    id: int
    text: str
    mode: str
    accent_insensitive: bool

    def spec(self) -> KeywordSpec:
        return KeywordSpec(self.id, self.text, MatchMode(self.mode), self.accent_insensitive)


@dataclass
class RuleData:
    """A rule with its relations loaded (from a queryset with prefetch_related)."""

    rule: AutoReplyRule
    keywords: list[KeywordData]
    channel_ids: set[int]
    labels_required: set[int]
    labels_excluded: set[int]
    add_label_ids: list[int]
    remove_label_ids: list[int]
    agent_ids: list[int]

    @property
    def uses_labels(self) -> bool:
        """Whether the rule looks at or changes the conversation's labels."""
        labels = (self.labels_required, self.labels_excluded)
        return any(labels) or bool(self.add_label_ids or self.remove_label_ids)

    @classmethod
    def from_rule(cls, rule: AutoReplyRule) -> RuleData:
        """From a rule loaded with its relations: prefetched (``RULE_PREFETCH``), or its
        keywords prefetched and the other relations' ids annotated (``RULE_ID_ARRAYS``)."""

        def ids(relation: str) -> list[int]:
            annotated = getattr(rule, f"{relation}_ids", None)
            if annotated is not None:
                return list(annotated)
            return [obj.id for obj in getattr(rule, relation).all()]

        return cls(
            rule=rule,
            keywords=[
                KeywordData(k.id, k.text, k.mode, k.accent_insensitive) for k in rule.keywords.all()
            ],
            channel_ids=set(ids("channels")),
            labels_required=set(ids("labels_required")),
            labels_excluded=set(ids("labels_excluded")),
            add_label_ids=sorted(ids("add_labels")),
            remove_label_ids=sorted(ids("remove_labels")),
            agent_ids=sorted(ids("assign_agents")),
        )


# The relations whose ids alone a RuleData needs: loaded as arrays with the rules (one query
# instead of one per relation; the processing pipeline loads every tenant's rules per pass).
RULE_ID_ARRAYS = (
    "channels",
    "labels_required",
    "labels_excluded",
    "add_labels",
    "remove_labels",
    "assign_agents",
)
RULE_PREFETCH = ("keywords", *RULE_ID_ARRAYS)


@dataclass
class Situation:
    channel_id: int | None
    status: str
    label_ids: set[int]
    from_ad: bool
    is_first_message: bool
    outside_hours: bool
    matched_keyword_ids: set[int] = field(default_factory=set)


def rule_applies(data: RuleData, situation: Situation) -> tuple[bool, str]:
    """Whether the rule's trigger and conditions hold; when not, a reason for people."""
    rule = data.rule
    if not rule.enabled:
        return False, _("disabled")
    if rule.trigger == AutoReplyRule.Trigger.KEYWORDS:
        ids = {k.id for k in data.keywords}
        if not ids:
            return False, _("no keywords")
        hit = ids & situation.matched_keyword_ids
        if rule.keyword_logic == AutoReplyRule.KeywordLogic.ALL:
            if hit != ids:
                return False, _("not all keywords matched")
        elif not hit:
            return False, _("no keyword matched")
    elif rule.trigger == AutoReplyRule.Trigger.WELCOME:
        if not situation.is_first_message:
            return False, _("not the first message of a new conversation")
    elif rule.trigger == AutoReplyRule.Trigger.AWAY and not situation.outside_hours:
        return False, _("within business hours")
    if data.channel_ids and situation.channel_id not in data.channel_ids:
        return False, _("other channel")
    if rule.statuses and situation.status not in rule.statuses:
        return False, _("conversation status does not match")
    if data.labels_required and not data.labels_required <= situation.label_ids:
        return False, _("a required label is missing")
    if data.labels_excluded & situation.label_ids:
        return False, _("has an excluded label")
    if rule.from_ad == AutoReplyRule.FromAd.YES and not situation.from_ad:
        return False, _("did not come from an ad")
    if rule.from_ad == AutoReplyRule.FromAd.NO and situation.from_ad:
        return False, _("came from an ad")
    return True, ""


def keyword_specs(rules: Iterable[RuleData]) -> list[KeywordSpec]:
    return [k.spec() for data in rules for k in data.keywords]


# --------------------------------------------------------------------------- business hours


def tenant_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_open(
    at: datetime,
    *,
    zone: ZoneInfo,
    intervals: Iterable[tuple[int, time, time]],
    holidays: Iterable[date],
) -> bool:
    """Whether the business is open at ``at`` (aware) by its weekly schedule (weekday,
    opens, closes — local times; closes 00:00 = midnight) and its holidays (local dates).
    Local time is computed with the zone's rules for that very date, so a daylight-saving
    change moves the opening hours in UTC as it should."""
    local = at.astimezone(zone)
    if local.date() in set(holidays):
        return False
    now = local.time().replace(tzinfo=None)
    for weekday, opens, closes in intervals:
        if weekday != local.weekday():
            continue
        if opens <= now and (closes == time(0, 0) or now < closes):
            return True
    return False


# --------------------------------------------------------------------------- reply variables

_VARIABLE = re.compile(
    r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*(?:\|\s*default\s*:\s*(?:\"([^\"]*)\"|'([^']*)'))?\s*\}\}"
)
VARIABLES = (
    "contact.first_name",
    "contact.name",
    "business.name",
    "channel.name",
    "agent.first_name",
    "agent.name",
)


def unknown_variables(template: str) -> list[str]:
    names = [f"{m.group(1)}.{m.group(2)}" for m in _VARIABLE.finditer(template)]
    return [n for n in names if n not in VARIABLES]


def render_text(template: str, values: dict[str, str]) -> str:
    """Replace ``{{ contact.first_name }}`` (optionally ``|default:"there"``) with values.
    Only the whitelisted names of ``VARIABLES`` exist: no attribute lookups, no template
    language, so a rule can never reach into other data. The result is plain text for the
    provider; pages escape it like any message."""

    def sub(match: re.Match) -> str:
        name = f"{match.group(1)}.{match.group(2)}"
        value = values.get(name, "") if name in VARIABLES else ""
        if not value:
            value = match.group(3) or match.group(4) or ""
        return value

    return _VARIABLE.sub(sub, template)
