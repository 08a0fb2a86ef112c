"""Running the auto-reply rules on a stored inbound message (the Celery task
``automation.run_for_message``), and the sweep that re-enqueues messages never claimed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox import effects
from inbox.automation.engine import RuleData, Situation, render_text, rule_applies
from inbox.automation.models import AutomationSettings, AutoReplyRule, MessageAutomation, RuleRun
from inbox.automation.selectors import (
    automation_settings_get,
    is_outside_business_hours,
    rules_loaded,
    tenant_matcher,
)
from inbox.models import Conversation, Label, Message, Team
from inbox.services._sql import insert_ignore_conflict
from inbox.services.conversations import conversation_changed
from inbox.services.teams import team_round_robin_pick
from tenants.models import Membership
from tenants.permissions import STAFF

log = logging.getLogger(__name__)

AD_SOURCES = {Conversation.Source.TIKTOK_AD, Conversation.Source.META_AD}
# A message processed this late (a backlog after an outage) gets no automatic action: the
# customer has likely been answered by then, and a bot "welcome" hours later looks broken.
STALE_AFTER = timedelta(hours=6)


def _announce_message(conversation: Conversation, message: Message) -> None:
    effects.live_hint(
        tenant_id=conversation.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )


def _conversation_state(conversation: Conversation, situation: Situation) -> tuple:
    """What a rule may change on the conversation (to announce one update per run)."""
    return (
        conversation.status,
        conversation.assignee_id,
        conversation.team_id,
        conversation.priority,
        frozenset(situation.label_ids),
    )


def _message_send():
    """The channels work's sending service (it checks provider reply windows and TikTok's
    10-message rule, and queues the delivery)."""
    from inbox.services.sending import MessageRejected, message_send

    return message_send, MessageRejected


def is_customer_message(message: Message) -> bool:
    """Only inbound customer messages trigger rules: never outbound, bot, echo or notes."""
    return (
        message.kind == Message.Kind.MESSAGE
        and message.direction == Message.Direction.IN
        and message.author_kind == Message.AuthorKind.CUSTOMER
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


def _bot_replies_last_hour(conversation: Conversation, now: datetime, cap: int) -> int:
    """The conversation's auto-replies of the last hour, counted up to ``cap`` (all the caller
    compares). Read newest first through ``msg_conversation_time`` and stopped at ``cap``: the
    conversation's last hour, never the tenant's. Not filtered by tenant on purpose — the
    conversation is the tenant's (locked by the caller), and a ``tenant_id`` term let the
    planner walk the tenant's recent messages (``msg_tenant_recent``) instead whenever the
    table's statistics were stale (10 ms instead of 0.06 ms)."""
    if cap <= 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _BOT_REPLIES_SQL,
            [
                conversation.pk,
                now - timedelta(hours=1),
                Message.Kind.MESSAGE,
                Message.Direction.OUT,
                Message.AuthorKind.BOT,
                cap,
            ],
        )
        return cursor.fetchone()[0]


_BOT_REPLIES_SQL = """
SELECT count(*) FROM (
    SELECT 1 FROM inbox_message
    WHERE conversation_id = %s AND created_at >= %s
      AND kind = %s AND direction = %s AND author_kind = %s
    ORDER BY created_at DESC, id DESC
    LIMIT %s
) AS recent
"""


def _bot_message(
    conversation, *, kind: str, rule: AutoReplyRule, text: str, now, metadata=None
) -> Message:
    return Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind=kind,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.BOT,
        rule_name=rule.name[:120],
        text=text,
        status=Message.Status.SENT,
        metadata=metadata or {},
        created_at=now,
    )


def _staff_ids(tenant_id: int, user_ids: list[int]) -> list[int]:
    members = Membership.objects.filter(
        tenant_id=tenant_id, user_id__in=user_ids, role__in=[r.value for r in STAFF]
    ).values_list("user_id", flat=True)
    present = set(members)
    return [uid for uid in user_ids if uid in present]


def _pick_assignee(data: RuleData, tenant_id: int):
    """The agent to assign: the first chosen agent, or the next one in round-robin order.
    Only current members who may reply are considered."""
    from django.contrib.auth import get_user_model

    candidates = _staff_ids(tenant_id, data.agent_ids)
    if not candidates:
        return None
    rule = data.rule
    if rule.assign == AutoReplyRule.Assign.ROUND_ROBIN:
        locked = AutoReplyRule.objects.select_for_update().get(pk=rule.pk)
        last = locked.round_robin_last_user_id
        later = [uid for uid in candidates if last is None or uid > last]
        chosen = later[0] if later else candidates[0]
        locked.round_robin_last_user_id = chosen
        locked.save(update_fields=["round_robin_last_user_id"])
    else:
        chosen = candidates[0]
    return get_user_model().objects.filter(pk=chosen).first()


def _variables(conversation: Conversation) -> dict[str, str]:
    contact = conversation.contact
    agent = conversation.assignee
    return {
        "contact.first_name": contact.first_name,
        "contact.name": contact.name,
        "business.name": conversation.tenant.name,
        "channel.name": conversation.channel.name,
        "agent.first_name": (agent.first_name if agent else "") or "",
        "agent.name": (agent.get_full_name() if agent else "") or "",
    }


def _fire(
    data: RuleData,
    *,
    message: Message,
    conversation: Conversation,
    situation: Situation,
    settings: AutomationSettings,
    now: datetime,
) -> RuleRun:
    rule = data.rule
    done: list[str] = []
    fields: list[str] = []
    if data.add_label_ids:
        labels = list(
            Label.objects.for_tenant(conversation.tenant).filter(id__in=data.add_label_ids)
        )
        new = [label for label in labels if label.id not in situation.label_ids]
        if new:
            conversation.labels.add(*new)
            situation.label_ids |= {label.id for label in new}
            done.append(_("added label %s") % ", ".join(label.name for label in new))
    if data.remove_label_ids:
        labels = list(
            Label.objects.for_tenant(conversation.tenant).filter(id__in=data.remove_label_ids)
        )
        gone = [label for label in labels if label.id in situation.label_ids]
        if gone:
            conversation.labels.remove(*gone)
            situation.label_ids -= {label.id for label in gone}
            done.append(_("removed label %s") % ", ".join(label.name for label in gone))
    if rule.assign == AutoReplyRule.Assign.TEAM_ROUND_ROBIN:
        team = Team.objects.for_tenant(conversation.tenant_id).filter(pk=rule.assign_team_id)
        team = team.first()
        if team is not None:
            if conversation.team_id != team.pk:
                conversation.team = team
                fields.append("team")
                done.append(_("queued to the team %s") % team.name)
            user = team_round_robin_pick(team=team)
            if user is not None and conversation.assignee_id != user.id:
                conversation.assignee = user
                fields.append("assignee")
                done.append(_("assigned to %s") % (user.get_full_name() or user.email))
    elif rule.assign:
        user = _pick_assignee(data, conversation.tenant_id)
        if user is not None and conversation.assignee_id != user.id:
            conversation.assignee = user
            fields.append("assignee")
            done.append(_("assigned to %s") % (user.get_full_name() or user.email))
    if rule.set_status and conversation.status != rule.set_status:
        conversation.status = rule.set_status
        situation.status = rule.set_status
        fields.append("status")
        done.append(_("status set to %s") % conversation.get_status_display())
    if rule.set_priority is not None and conversation.priority != rule.set_priority:
        conversation.priority = rule.set_priority
        fields.append("priority")
        done.append(_("priority set to %s") % conversation.get_priority_display())
    if fields or done:  # labels too: the reports read them from the changed conversation
        conversation.save(update_fields=[*fields, "updated_at"])
    if done:
        activity = _bot_message(
            conversation,
            kind=Message.Kind.ACTIVITY,
            rule=rule,
            text=_("Rule “%(rule)s”: %(actions)s.")
            % {"rule": rule.name, "actions": "; ".join(done)},
            now=now,
            # The status it moved to, for the reports (docs/reports.md).
            metadata={"status": conversation.status} if "status" in fields else None,
        )
        _announce_message(conversation, activity)
    values = _variables(conversation)
    if rule.note_text.strip():
        note = _bot_message(
            conversation,
            kind=Message.Kind.NOTE,
            rule=rule,
            text=render_text(rule.note_text, values),
            now=now,
        )
        _announce_message(conversation, note)
    outcome, detail = RuleRun.Outcome.FIRED, ""
    if rule.reply_text.strip():
        outcome, detail = _reply(rule, conversation, values, settings, now)
    if rule.send_template_id:
        template_outcome, template_detail = _send_template(rule, conversation, now)
        if template_detail:
            outcome, detail = template_outcome, template_detail
    return RuleRun.objects.create(
        tenant_id=conversation.tenant_id,
        rule=rule,
        message=message,
        conversation=conversation,
        outcome=outcome,
        detail=detail[:300],
        created_at=now,
    )


def _reply(rule, conversation, values, settings, now) -> tuple[str, str]:
    cap = settings.max_replies_per_hour
    if _bot_replies_last_hour(conversation, now, cap) >= cap:
        detail = _("Auto-reply of rule “%(rule)s” skipped: %(n)d replies in the last hour.") % {
            "rule": rule.name,
            "n": settings.max_replies_per_hour,
        }
        note = _bot_message(
            conversation, kind=Message.Kind.ACTIVITY, rule=rule, text=detail, now=now
        )
        _announce_message(conversation, note)
        return RuleRun.Outcome.CAPPED, detail
    message_send, MessageRejected = _message_send()
    text = render_text(rule.reply_text, values).strip()
    if not text:
        return RuleRun.Outcome.FIRED, _("the reply was empty once rendered")
    try:
        with transaction.atomic():
            sent = message_send(
                conversation=conversation,
                text=text,
                author_kind=Message.AuthorKind.BOT,
                rule_name=rule.name[:120],
                now=now,
                locked=True,  # the run holds the conversation's row lock, read just now
            )
    except MessageRejected as exc:
        detail = _("Auto-reply of rule “%(rule)s” not sent: %(reason)s") % {
            "rule": rule.name,
            "reason": exc.reason,
        }
        note = _bot_message(
            conversation, kind=Message.Kind.ACTIVITY, rule=rule, text=detail, now=now
        )
        _announce_message(conversation, note)
        return RuleRun.Outcome.WINDOW, detail
    _announce_message(conversation, sent)
    return RuleRun.Outcome.FIRED, ""


def _send_template(rule, conversation, now) -> tuple[str, str]:
    """The rule's template, through ``template_send`` (variables from their mapped sources)."""
    from inbox.services.templates import TemplateError, template_send

    try:
        with transaction.atomic():
            sent = template_send(
                conversation=conversation,
                template=rule.send_template,
                author_kind=Message.AuthorKind.BOT,
                rule_name=rule.name[:120],
                now=now,
            )
    except TemplateError as exc:
        detail = _("Template of rule “%(rule)s” not sent: %(reason)s") % {
            "rule": rule.name,
            "reason": exc.reason,
        }
        note = _bot_message(
            conversation, kind=Message.Kind.ACTIVITY, rule=rule, text=detail, now=now
        )
        _announce_message(conversation, note)
        return RuleRun.Outcome.WINDOW, detail
    _announce_message(conversation, sent)
    return RuleRun.Outcome.FIRED, ""


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
    if not rules or not is_customer_message(message):
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
    if message is None or not is_customer_message(message):
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
                _fire(
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
