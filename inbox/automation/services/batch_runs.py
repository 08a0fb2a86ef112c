"""Automation of a processing pass's messages, set-based: the runs of many messages in a few
statements instead of ~8 per message (``rule_runs.automation_run_for_message``).

A tenant's messages go this way when every enabled rule of the tenant only replies (no
label, assignment, status, priority, note or template action: ``reply_only``) and none
greets the first message (welcome); the others, and everything of a batch that fails here,
run one by one as before. The steps, for the batch's messages of such tenants:

1. **Claims**: one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` of their
   ``MessageAutomation`` rows — a message claimed before (a redelivery) is skipped, so each
   message is automated exactly once, in the transaction that stores it.
2. **State**, one query each for all their conversations: the rows under their lock (in id
   order), the auto-replies of the last hour (the cap), the rule runs within the longest
   cooldown, the labels (only when a rule reads them), agents' recent replies (only for away
   rules).
3. **Rules** evaluated in Python per message, in the messages' order, with that state kept in
   memory (a reply counts toward the next message's cap; a run starts its cooldown).
4. **Writes**: the replies through ``messages_queue_many`` (one INSERT, one UPDATE of the
   conversations, their CRM events, hints and delivery tasks through the effects door), the
   notes of capped or refused replies in one INSERT, the rule runs in one INSERT.

The outcomes are those of the one-by-one run (``FIRED``, ``CAPPED`` with its activity note,
``WINDOW`` with the refusal's note, ``COOLDOWN``, ``AGENT_ACTIVE``), with the same texts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox.automation.engine import RuleData, Situation, render_text, rule_applies
from inbox.automation.models import AutoReplyRule, MessageAutomation, RuleRun
from inbox.automation.selectors import (
    automation_settings_get,
    is_outside_business_hours,
    rules_loaded,
    tenant_matcher,
)
from inbox.models import Conversation, Message

from .rule_actions import (
    bot_line,
    capped_detail,
    conversation_variables,
    refused_detail,
    rule_run,
)
from .rule_runs import AD_SOURCES, STALE_AFTER

log = logging.getLogger(__name__)

COOLDOWN_OUTCOMES = (RuleRun.Outcome.FIRED, RuleRun.Outcome.CAPPED, RuleRun.Outcome.WINDOW)


def reply_only(rules: list[RuleData]) -> bool:
    """Whether the set-based run can do everything these rules may do: reply, nothing else."""
    for data in rules:
        rule = data.rule
        if (
            rule.trigger == AutoReplyRule.Trigger.WELCOME
            or data.add_label_ids
            or data.remove_label_ids
            or rule.assign
            or rule.set_status
            or rule.set_priority is not None
            or rule.note_text.strip()
            or rule.send_template_id
        ):
            return False
    return True


def automation_run_for_messages(messages: list[Message]) -> list[Message]:
    """Automate these just-stored messages set-based where their tenant's rules allow it;
    the messages left for the one-by-one run are returned (in their order)."""
    rest, ours = [], []
    for message in messages:
        rules = rules_loaded(tenant=message.tenant, enabled_only=True)
        if message.is_from_customer and rules and reply_only(rules):
            ours.append(message)
        else:
            rest.append(message)
    if ours:
        _run(ours, timezone.now())
    return rest


def _claim(messages: list[Message]) -> list[Message]:
    """The messages whose claim this pass wrote (a message claimed before is left alone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {MessageAutomation._meta.db_table} (tenant_id, message_id, created_at)
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[])
            ON CONFLICT DO NOTHING RETURNING message_id
            """,  # noqa: S608 - the table name is the model's
            [
                [m.tenant_id for m in messages],
                [m.pk for m in messages],
                [timezone.now()] * len(messages),
            ],
        )
        claimed = {row[0] for row in cursor.fetchall()}
    return [m for m in messages if m.pk in claimed]


def _run(messages: list[Message], now: datetime) -> None:
    messages = _claim(messages)
    messages = [m for m in messages if now - m.created_at <= STALE_AFTER]
    if not messages:
        return
    state = _State.load(messages, now)
    runs: list[RuleRun] = []
    rows: list[tuple[Conversation, Message]] = []  # replies and notes, in the runs' order
    for message in messages:
        tenant = message.tenant
        with translation.override(tenant.default_language or None):
            _evaluate(message, state, now, runs, rows)
    from inbox.services.sending import messages_queue_many

    messages_queue_many(rows, now=now)
    RuleRun.objects.bulk_create(runs)


def _evaluate(message, state, now, runs, rows) -> None:
    tenant = message.tenant
    rules = rules_loaded(tenant=tenant, enabled_only=True)
    settings = automation_settings_get(tenant=tenant)
    conversation = state.conversations[message.conversation_id]
    matcher = tenant_matcher(tenant=tenant)
    outside = is_outside_business_hours(tenant=tenant, at=message.created_at)
    situation = Situation(
        channel_id=conversation.channel_id,
        status=conversation.status,
        label_ids=state.labels.get(conversation.pk, set()),
        from_ad=conversation.source in AD_SOURCES or bool(conversation.ad_id),
        is_first_message=False,  # no welcome rule here (``reply_only``)
        outside_hours=outside,
        matched_keyword_ids=matcher.matched_keys(message.text) if message.text else set(),
    )
    for data in rules:
        if not rule_applies(data, situation)[0]:
            continue
        rule = data.rule
        outcome, detail = _act(rule, conversation, state, settings, now, rows)
        runs.append(rule_run(rule, message, conversation, outcome, detail, now))
        if outcome not in (RuleRun.Outcome.COOLDOWN, RuleRun.Outcome.AGENT_ACTIVE) and (
            rule.stop_after
        ):
            break


def _act(rule, conversation, state, settings, now, rows) -> tuple[str, str]:
    """One applying rule on the conversation: its outcome and detail (as ``_fire``/``_reply``
    decide them); a reply or a note is appended to ``rows``."""
    from inbox.services.sending import send_refusal

    if state.in_cooldown(rule, conversation.pk, now):
        return RuleRun.Outcome.COOLDOWN, ""
    if rule.trigger == AutoReplyRule.Trigger.AWAY and state.agent_replied(
        conversation.pk, now, settings.away_agent_grace_minutes
    ):
        return RuleRun.Outcome.AGENT_ACTIVE, ""
    state.started(rule, conversation.pk, now)
    if not rule.reply_text.strip():
        return RuleRun.Outcome.FIRED, ""
    cap = settings.max_replies_per_hour
    if state.bot_replies[conversation.pk] >= cap:
        detail = capped_detail(rule, cap)
        rows.append((conversation, _note_row(conversation, rule, detail, now)))
        return RuleRun.Outcome.CAPPED, detail
    text = render_text(rule.reply_text, conversation_variables(conversation)).strip()
    if not text:
        return RuleRun.Outcome.FIRED, _("the reply was empty once rendered")
    refusal = send_refusal(
        conversation=conversation, text=text, author_kind=Message.AuthorKind.BOT, now=now
    )
    if refusal is not None:
        detail = refused_detail(rule, refusal.reason)
        rows.append((conversation, _note_row(conversation, rule, detail, now)))
        return RuleRun.Outcome.WINDOW, detail
    rows.append((conversation, _reply_row(conversation, rule, text, now)))
    state.bot_replies[conversation.pk] += 1
    return RuleRun.Outcome.FIRED, ""


def _reply_row(conversation: Conversation, rule: AutoReplyRule, text: str, now) -> Message:
    """The queued reply (what ``message_queue`` stores), its conversation's counters moved."""
    from inbox.selectors.reply_window import reply_tag

    tag = reply_tag(conversation, Message.AuthorKind.BOT, now)
    conversation.business_messages_since_customer += 1
    conversation.last_message_at = max(conversation.last_message_at, now)
    conversation.last_message_preview = text[:200]
    return Message(
        tenant=conversation.tenant,
        conversation=conversation,
        channel=conversation.channel,
        kind=Message.Kind.MESSAGE,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.BOT,
        rule_name=rule.name[:120],
        text=text,
        status=Message.Status.QUEUED,
        metadata={"tag": tag} if tag else {},
        created_at=now,
    )


def _note_row(conversation, rule: AutoReplyRule, text: str, now) -> Message:
    """The activity line of a reply not sent (capped, refused), as the one-by-one run writes."""
    return bot_line(conversation, kind=Message.Kind.ACTIVITY, rule=rule, text=text, now=now)


class _State:
    """What the rules of the batch's messages read, for all their conversations at once."""

    def __init__(self) -> None:
        self.conversations: dict[int, Conversation] = {}
        self.bot_replies: dict[int, int] = defaultdict(int)
        self.labels: dict[int, set[int]] = {}
        self.last_run: dict[tuple[int, int], datetime] = {}
        self.last_agent_reply: dict[int, datetime] = {}

    @classmethod
    def load(cls, messages: list[Message], now: datetime) -> _State:
        state = cls()
        channel_field = Message._meta.get_field("channel")
        channels = {m.channel_id: m.channel for m in messages if channel_field.is_cached(m)}
        tenants = {m.tenant_id: m.tenant for m in messages}
        for conversation in (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("contact")
            .filter(tenant_id__in=tenants, pk__in={m.conversation_id for m in messages})
            .order_by("pk")
        ):
            conversation.tenant = tenants[conversation.tenant_id]
            if conversation.channel_id in channels:
                conversation.channel = channels[conversation.channel_id]
            state.conversations[conversation.pk] = conversation
        # The reads below take the ids the tenant-scoped read above returned.
        ids = list(state.conversations)
        rules = [
            data
            for tenant in tenants.values()
            for data in rules_loaded(tenant=tenant, enabled_only=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conversation_id, count(*) FROM inbox_message
                WHERE conversation_id = ANY(%s) AND created_at >= %s
                  AND kind = %s AND direction = %s AND author_kind = %s
                GROUP BY conversation_id
                """,
                [
                    ids,
                    now - timedelta(hours=1),
                    Message.Kind.MESSAGE,
                    Message.Direction.OUT,
                    Message.AuthorKind.BOT,
                ],
            )
            state.bot_replies.update(dict(cursor.fetchall()))
        longest = max((d.rule.cooldown_minutes for d in rules), default=0)
        if longest:
            for rule_id, conversation_id, at in (
                RuleRun.objects.filter(
                    conversation_id__in=ids,
                    rule_id__in=[d.rule.pk for d in rules if d.rule.cooldown_minutes],
                    outcome__in=COOLDOWN_OUTCOMES,
                    created_at__gte=now - timedelta(minutes=longest),
                )
                .order_by("created_at")
                .values_list("rule_id", "conversation_id", "created_at")
            ):
                state.last_run[(rule_id, conversation_id)] = at
        if any(d.uses_labels for d in rules):
            for conversation_id, label_id in Conversation.labels.through.objects.filter(
                conversation_id__in=ids
            ).values_list("conversation_id", "label_id"):
                state.labels.setdefault(conversation_id, set()).add(label_id)
        away = [d for d in rules if d.rule.trigger == AutoReplyRule.Trigger.AWAY]
        if away:
            grace = max(
                automation_settings_get(tenant=t).away_agent_grace_minutes for t in tenants.values()
            )
            if grace:
                for conversation_id, at in (
                    Message.objects.filter(
                        conversation_id__in=ids,
                        kind=Message.Kind.MESSAGE,
                        direction=Message.Direction.OUT,
                        author_kind=Message.AuthorKind.AGENT,
                        created_at__gte=now - timedelta(minutes=grace),
                    )
                    .order_by("created_at")
                    .values_list("conversation_id", "created_at")
                ):
                    state.last_agent_reply[conversation_id] = at
        return state

    def in_cooldown(self, rule: AutoReplyRule, conversation_id: int, now: datetime) -> bool:
        if not rule.cooldown_minutes:
            return False
        at = self.last_run.get((rule.pk, conversation_id))
        return at is not None and at >= now - timedelta(minutes=rule.cooldown_minutes)

    def started(self, rule: AutoReplyRule, conversation_id: int, now: datetime) -> None:
        """A run that counts for the rule's cooldown (fired, capped or refused)."""
        self.last_run[(rule.pk, conversation_id)] = now

    def agent_replied(self, conversation_id: int, now: datetime, minutes: int) -> bool:
        if not minutes:
            return False
        at = self.last_agent_reply.get(conversation_id)
        return at is not None and at >= now - timedelta(minutes=minutes)
