"""Running the auto-reply rules on a stored inbound message (the Celery task
``automation.run_for_message``), and the sweep that re-enqueues messages never claimed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from inbox.automation.engine import RuleData, Situation, rule_applies
from inbox.automation.models import AutoReplyRule, MessageAutomation, RuleRun
from inbox.automation.selectors import (
    automation_settings_get,
    is_outside_business_hours,
    rules_loaded,
    tenant_matcher,
)
from inbox.models import Conversation, Message
from inbox.services._sql import insert_ignore_conflict
from inbox.services.conversations import conversation_changed

from .rule_actions import rule_fire

log = logging.getLogger(__name__)

AD_SOURCES = {Conversation.Source.TIKTOK_AD, Conversation.Source.META_AD}
# A message processed this late (a backlog after an outage) gets no automatic action: the
# customer has likely been answered by then, and a bot "welcome" hours later looks broken.
STALE_AFTER = timedelta(hours=6)


def _conversation_state(conversation: Conversation, situation: Situation) -> tuple:
    """What a rule may change on the conversation (to announce one update per run)."""
    return (
        conversation.status,
        conversation.assignee_id,
        conversation.team_id,
        conversation.priority,
        frozenset(situation.label_ids),
    )


def _is_first_message(message: Message) -> bool:
    earlier = (
        Message.objects.for_tenant(message.tenant_id)
        .filter(
            conversation_id=message.conversation_id,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.IN,
        )
        .filter(
            Q(created_at__lt=message.created_at)
            | Q(created_at=message.created_at, pk__lt=message.pk)
        )
    )
    return not earlier.exists()


def _from_ad(conversation: Conversation) -> bool:
    return conversation.source in AD_SOURCES or bool(conversation.ad_id)


def _in_cooldown(rule: AutoReplyRule, conversation: Conversation, now: datetime) -> bool:
    if not rule.cooldown_minutes:
        return False
    return RuleRun.objects.filter(
        rule=rule,
        conversation=conversation,
        outcome__in=[RuleRun.Outcome.FIRED, RuleRun.Outcome.CAPPED, RuleRun.Outcome.WINDOW],
        created_at__gte=now - timedelta(minutes=rule.cooldown_minutes),
    ).exists()


def _agent_replied_recently(conversation: Conversation, now: datetime, minutes: int) -> bool:
    if not minutes:
        return False
    return (
        Message.objects.for_tenant(conversation.tenant_id)
        .filter(
            conversation=conversation,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.OUT,
            author_kind=Message.AuthorKind.AGENT,
            created_at__gte=now - timedelta(minutes=minutes),
        )
        .exists()
    )


def _trigger_may_fire(data: RuleData, keyword_ids: set, outside_hours: bool) -> bool:
    """Whether the rule's trigger can hold, judged without reading the conversation: a keyword
    rule needs a matched keyword, an away rule the closed hours (the rest is checked later by
    ``rule_applies``)."""
    trigger = data.rule.trigger
    if trigger == AutoReplyRule.Trigger.KEYWORDS:
        return bool({k.id for k in data.keywords} & keyword_ids)
    if trigger == AutoReplyRule.Trigger.AWAY:
        return outside_hours
    return True


def _claimed(tenant, message: Message) -> bool:
    """The message's automation claim; False when it was claimed before (a redelivery, a
    retried task)."""
    return insert_ignore_conflict(MessageAutomation(tenant=tenant, message=message)) is not None


def automation_may_act(message: Message) -> bool:
    """Whether some enabled rule of the tenant could fire for this just-stored message, judged
    in the process (cached rules and keyword automaton, no query per message). When not, the
    caller records only the claim (``automation_claims_record``)."""
    rules = rules_loaded(tenant=message.tenant, enabled_only=True)
    if not rules or not message.is_from_customer:
        return False
    matcher = tenant_matcher(tenant=message.tenant)
    keyword_ids = matcher.matched_keys(message.text) if message.text else set()
    outside = is_outside_business_hours(tenant=message.tenant, at=message.created_at)
    return any(_trigger_may_fire(data, keyword_ids, outside) for data in rules)


def automation_claims_record(messages: list[Message]) -> None:
    """The claims of messages no rule acts on, in one statement (the sweep then leaves them)."""
    MessageAutomation.objects.bulk_create(
        [MessageAutomation(tenant_id=m.tenant_id, message=m) for m in messages],
        ignore_conflicts=True,
    )


def _conversation_locked(message: Message) -> Conversation:
    """The message's conversation under its row lock, with the contact (the reply's
    variables). Its tenant and channel are the message's own instances when the caller has
    them (the batch pipeline routed the channel this pass): one join instead of four; the
    assignee is read only if a rule needs it."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("contact")
        .get(pk=message.conversation_id)
    )
    conversation.tenant = message.tenant
    channel_field = Message._meta.get_field("channel")
    if channel_field.is_cached(message) and message.channel_id == conversation.channel_id:
        conversation.channel = message.channel
    return conversation


def automation_run_for_message(
    *, message_id: int, now: datetime | None = None, message: Message | None = None
) -> list[RuleRun]:
    """Evaluate the tenant's auto-reply rules for one stored inbound message, in priority
    order, and perform the actions of those that fire. Idempotent: a message is processed
    once (``MessageAutomation`` claim, and a unique ``RuleRun`` per rule and message).
    ``message``: the caller's instance, when it has just stored it (the batch pipeline)."""
    if message is None:
        message = (
            Message.objects.select_related("tenant", "conversation").filter(pk=message_id).first()
        )
    if message is None or not message.is_from_customer:
        return []
    tenant = message.tenant
    rules = rules_loaded(tenant=tenant, enabled_only=True)
    if not rules:
        return []
    now = now or timezone.now()
    matcher = tenant_matcher(tenant=tenant)
    keyword_ids = matcher.matched_keys(message.text) if message.text else set()
    outside = is_outside_business_hours(tenant=tenant, at=message.created_at)
    if not any(_trigger_may_fire(data, keyword_ids, outside) for data in rules):
        _claimed(tenant, message)  # nothing can fire: only the claim, for the sweep
        return []
    settings = automation_settings_get(tenant=tenant)
    runs: list[RuleRun] = []
    # No savepoint of its own: its callers are a task (this is the transaction) and the
    # pipeline (a savepoint per message already).
    with translation.override(tenant.default_language or None), transaction.atomic(savepoint=False):
        if not _claimed(tenant, message):
            return []
        if now - message.created_at > STALE_AFTER:
            log.info("automation skipped a stale message %s", message.pk)
            return []
        # One automation run per conversation at a time: cooldowns and caps stay exact.
        conversation = _conversation_locked(message)
        situation = Situation(
            channel_id=conversation.channel_id,
            status=conversation.status,
            # Read only when a rule looks at or changes labels (else nothing consults them).
            label_ids=set(conversation.labels.values_list("id", flat=True))
            if any(data.uses_labels for data in rules)
            else set(),
            from_ad=_from_ad(conversation),
            is_first_message=(
                any(d.rule.trigger == AutoReplyRule.Trigger.WELCOME for d in rules)
                and _is_first_message(message)
            ),
            outside_hours=outside,
            matched_keyword_ids=keyword_ids,
        )
        before = _conversation_state(conversation, situation)
        for data in rules:
            applies, _reason = rule_applies(data, situation)
            if not applies:
                continue
            rule = data.rule
            skip = None
            if _in_cooldown(rule, conversation, now):
                skip = RuleRun.Outcome.COOLDOWN
            elif rule.trigger == AutoReplyRule.Trigger.AWAY and _agent_replied_recently(
                conversation, now, settings.away_agent_grace_minutes
            ):
                skip = RuleRun.Outcome.AGENT_ACTIVE
            if skip:
                runs.append(
                    RuleRun.objects.create(
                        tenant=tenant,
                        rule=rule,
                        message=message,
                        conversation=conversation,
                        outcome=skip,
                        created_at=now,
                    )
                )
                continue
            runs.append(
                rule_fire(
                    data,
                    message=message,
                    conversation=conversation,
                    situation=situation,
                    settings=settings,
                    now=now,
                )
            )
            if rule.stop_after:
                break
        if _conversation_state(conversation, situation) != before:
            conversation_changed(conversation)
    return runs


def automation_sweep(
    *,
    enqueue,
    now: datetime | None = None,
    older_than=timedelta(minutes=2),
    window=timedelta(minutes=30),
) -> int:
    """Inbound customer messages of tenants with enabled rules, stored between ``window`` and
    ``older_than`` ago, that automation never claimed: enqueue them again. The database, not
    the broker, is the source of truth; the run itself is idempotent."""
    now = now or timezone.now()
    tenants = AutoReplyRule.objects.filter(enabled=True).values("tenant_id")
    pending = (
        Message.objects.filter(
            tenant_id__in=tenants,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.IN,
            author_kind=Message.AuthorKind.CUSTOMER,
            created_at__gte=now - window,
            created_at__lte=now - older_than,
        )
        .exclude(pk__in=MessageAutomation.objects.values("message_id"))
        .values_list("pk", flat=True)[:500]
    )
    count = 0
    for message_id in pending:
        try:
            enqueue(message_id)
            count += 1
        except Exception:  # the broker is still down: the next sweep retries
            log.warning("automation sweep could not enqueue", exc_info=True)
            break
    return count
