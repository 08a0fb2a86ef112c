"""Automation on public comments: the rules whose trigger is "new comment".

A rule's conditions (post, keywords, a phone number, an email address, reply or not) are
read against each new customer comment, once: a ``CommentRuleRun`` per (rule, comment) is
claimed before acting, so a redelivered webhook, a re-read comment list or a retried task
never acts twice. The shop's own comments are never acted on. Replies (public or private)
are sent at most once per author and post within the rule's cooldown; hiding, labelling and
assigning are not limited (a second phone number from the same author is hidden too).
Shipped defaults, created off: "hide comments that contain a phone number" and "answer
'price?' comments privately".
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inbox.automation.defaults import comment_rules_ensure_defaults  # noqa: F401  (re-export)
from inbox.automation.models import CommentRule, CommentRuleRun
from inbox.models import Comment, Message
from inbox.phone_detect import COUNTRY_CODES, contains_phone
from inbox.services._sql import insert_ignore_conflict
from inbox.services.comment_jobs import comment_action_deliver, comment_action_queue
from inbox.services.conversations import conversation_add_label, conversation_assign
from keywords import KeywordMatcher, KeywordSpec, MatchMode

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
BOT = "bot"


def _keywords(rule: CommentRule) -> list[str]:
    return [k.strip() for k in rule.keywords.splitlines() if k.strip()]


def _countries(tenant) -> list[str] | None:
    """The business's country first-hand; every country's international form anyway."""
    country = getattr(tenant, "country", "") or ""
    return None if country not in COUNTRY_CODES else [country]


def comment_rule_matches(rule: CommentRule, comment: Comment) -> bool:
    text = comment.text or ""
    if rule.post_id and rule.post_id != comment.post_id:
        return False
    if rule.is_reply == CommentRule.IsReply.YES and not comment.is_reply:
        return False
    if rule.is_reply == CommentRule.IsReply.NO and comment.is_reply:
        return False
    if rule.has_phone and not (
        contains_phone(text, _countries(comment.tenant)) or contains_phone(text)
    ):
        return False
    if rule.has_email and not EMAIL.search(text):
        return False
    words = _keywords(rule)
    if words:
        matcher = KeywordMatcher(
            KeywordSpec(key=i, text=w, mode=MatchMode.CONTAINS, accent_insensitive=True)
            for i, w in enumerate(words)
        )
        if not matcher.matched_keys(text):
            return False
    return True


def automation_run_for_comment(*, comment_id: int) -> list[CommentRuleRun]:
    """Run the enabled comment rules for one new comment (idempotent)."""
    comment = (
        Comment.objects.select_related("tenant", "channel", "post", "conversation")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or comment.is_own or comment.placeholder:
        return []
    if comment.state == Comment.State.DELETED or comment.conversation_id is None:
        return []
    runs = []
    rules = CommentRule.objects.for_tenant(comment.tenant_id).filter(enabled=True)
    for rule in rules.select_related("add_label", "assign_to"):
        if not comment_rule_matches(rule, comment):
            continue
        run = CommentRuleRun(
            tenant_id=comment.tenant_id,
            rule=rule,
            comment=comment,
            post_id=comment.post_id,
            contact_id=comment.contact_id,
        )
        with transaction.atomic():
            if insert_ignore_conflict(run) is None:
                continue  # this rule already ran for this comment
        _act(rule, comment, run)
        runs.append(run)
        comment.refresh_from_db()
    return runs


def _in_cooldown(rule: CommentRule, comment: Comment, run: CommentRuleRun) -> bool:
    if not rule.cooldown_minutes:
        return False
    since = timezone.now() - timedelta(minutes=rule.cooldown_minutes)
    return (
        CommentRuleRun.objects.filter(
            rule=rule,
            post_id=comment.post_id,
            contact_id=comment.contact_id,
            replied=True,
            created_at__gte=since,
        )
        .exclude(pk=run.pk)
        .exists()
    )


def _act(rule: CommentRule, comment: Comment, run: CommentRuleRun) -> None:
    """Hide and replies go through the send path (``inbox.services.comment_jobs``): the first
    attempt now, in order; a provider that is down is retried with backoff, a refusal is
    explained on the action's line in the thread."""
    done, refused, retrying = [], [], []
    replies = bool(rule.public_reply_text.strip() or rule.private_reply_text.strip())
    cooldown = replies and _in_cooldown(rule, comment, run)
    steps = []
    if not cooldown and rule.public_reply_text.strip():
        steps.append(("reply", rule.public_reply_text))
    if not cooldown and rule.private_reply_text.strip():
        steps.append(("private_reply", rule.private_reply_text))
    if rule.hide:
        steps.append(("hide", ""))
    for name, text in steps:
        line = comment_action_queue(
            comment=comment, action=name, rule_name=rule.name, text=text, run_id=run.pk
        )
        status = comment_action_deliver(message_id=line.pk)
        line.refresh_from_db()
        if status == Message.Status.SENT:
            done.append(name)
            comment.refresh_from_db()
        elif line.status == Message.Status.FAILED:
            refused.append(f"{name}: {line.error_message}")
        else:
            retrying.append(f"{name}: {line.error_message or line.status}")
    conversation = comment.conversation
    if rule.add_label_id:
        conversation_add_label(conversation=conversation, label=rule.add_label, actor=None)
        done.append("label")
    if rule.assign_to_id and conversation.assignee_id != rule.assign_to_id:
        conversation_assign(conversation=conversation, assignee=rule.assign_to, actor=None)
        done.append("assign")
    run.replied = any(n in ("reply", "private_reply") for n in done) or any(
        r.startswith(("reply:", "private_reply:")) for r in retrying
    )
    if refused:
        run.outcome = CommentRuleRun.Outcome.REFUSED
    elif cooldown:
        run.outcome = CommentRuleRun.Outcome.COOLDOWN
    retries = [f"{r} (retrying)" for r in retrying]
    run.detail = "; ".join([", ".join(done), *refused, *retries])[:2000]
    CommentRuleRun.objects.filter(pk=run.pk).update(
        replied=run.replied, outcome=run.outcome, detail=run.detail
    )


def comment_rule_set_enabled(*, rule: CommentRule, enabled: bool) -> CommentRule:
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    return rule
