"""What a rule does once it fires on a message: labels, assignment, status and priority, the
activity line and note in the thread, the auto-reply (within the hourly cap) and the template
— each announced to the open inbox pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils.translation import gettext as _

from inbox import effects
from inbox.automation.engine import RuleData, Situation, render_text
from inbox.automation.models import AutomationSettings, AutoReplyRule, RuleRun
from inbox.models import Conversation, Label, Message, Team
from inbox.services.teams import team_round_robin_pick
from tenants.models import Membership
from tenants.permissions import STAFF


def _announce_message(conversation: Conversation, message: Message) -> None:
    effects.live_hint(
        tenant_id=conversation.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=message.pk,
    )


def _message_send():
    """The channels work's sending service (it checks provider reply windows and TikTok's
    10-message rule, and queues the delivery)."""
    from inbox.services.sending import MessageRejected, message_send

    return message_send, MessageRejected


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


def bot_line(
    conversation, *, kind: str, rule: AutoReplyRule, text: str, now, metadata=None
) -> Message:
    """A line the rule writes in the thread (an activity, a note), not yet saved."""
    return Message(
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


def _bot_message(conversation, **line) -> Message:
    message = bot_line(conversation, **line)
    message.save(force_insert=True)
    return message


def capped_detail(rule: AutoReplyRule, cap: int) -> str:
    return _("Auto-reply of rule “%(rule)s” skipped: %(n)d replies in the last hour.") % {
        "rule": rule.name,
        "n": cap,
    }


def refused_detail(rule: AutoReplyRule, reason: str) -> str:
    return _("Auto-reply of rule “%(rule)s” not sent: %(reason)s") % {
        "rule": rule.name,
        "reason": reason,
    }


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


def conversation_variables(conversation: Conversation) -> dict[str, str]:
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


def rule_fire(
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
    values = conversation_variables(conversation)
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
    run = rule_run(rule, message, conversation, outcome, detail, now)
    run.save()
    return run


def rule_run(rule, message, conversation, outcome: str, detail: str, now) -> RuleRun:
    """A rule's run, unsaved: saved one by one, bulk-created by a batch."""
    return RuleRun(
        tenant_id=conversation.tenant_id,
        rule=rule,
        message=message,
        conversation=conversation,
        outcome=outcome,
        detail=detail[:300],
        created_at=now,
    )


def _activity_line(conversation, rule: AutoReplyRule, detail: str, now) -> None:
    """The line in the thread saying why the rule's reply or template was not sent."""
    line = _bot_message(conversation, kind=Message.Kind.ACTIVITY, rule=rule, text=detail, now=now)
    _announce_message(conversation, line)


def _reply(rule, conversation, values, settings, now) -> tuple[str, str]:
    cap = settings.max_replies_per_hour
    if _bot_replies_last_hour(conversation, now, cap) >= cap:
        detail = capped_detail(rule, cap)
        _activity_line(conversation, rule, detail, now)
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
        detail = refused_detail(rule, exc.reason)
        _activity_line(conversation, rule, detail, now)
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
        _activity_line(conversation, rule, detail, now)
        return RuleRun.Outcome.WINDOW, detail
    _announce_message(conversation, sent)
    return RuleRun.Outcome.FIRED, ""
