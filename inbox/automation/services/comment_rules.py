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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox.automation.models import DEFAULT_COMMENT_RULE_NAMES, CommentRule, CommentRuleRun
from inbox.models import Comment
from inbox.phone_detect import COUNTRY_CODES, contains_phone
from inbox.services._sql import insert_ignore_conflict
from inbox.services.comments import (
    CommentActionRefused,
    comment_reply_private,
    comment_reply_public,
    comment_set_hidden,
)
from inbox.services.conversations import conversation_add_label, conversation_assign
from keywords import KeywordMatcher, KeywordSpec, MatchMode

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PRICE_KEYWORDS = (
    "price", "how much", "giá", "bao nhiêu", "ib giá", "ราคา", "เท่าไหร่", "harga", "berapa",
    "cena", "kolik", "いくら", "値段", "価格",
)  # fmt: skip
BOT = "bot"
DEFAULT_NAMES = DEFAULT_COMMENT_RULE_NAMES


def comment_rules_ensure_defaults(*, tenant) -> None:
    """The shipped rules, off until the business enables them (created once per tenant; the
    names are shown in each person's language, the reply is in the business's)."""
    with translation.override(tenant.default_language or "en"):
        defaults = {
            "hide_phone": {
                "name": DEFAULT_NAMES["hide_phone"],
                "has_phone": True,
                "hide": True,
                "cooldown_minutes": 0,
                "position": 0,
            },
            "price_private": {
                "name": DEFAULT_NAMES["price_private"],
                "keywords": "\n".join(PRICE_KEYWORDS),
                "private_reply_text": _(
                    "Hello! Thank you for your interest. We have sent you the price here in "
                    "a private message."
                ),
                "cooldown_minutes": 24 * 60,
                "position": 1,
            },
        }
        for key, fields in defaults.items():
            rule = CommentRule(tenant=tenant, default_key=key, enabled=False, **fields)
            insert_ignore_conflict(rule)


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
    done, refused = [], []
    who = {"actor": None, "author_kind": BOT, "rule_name": rule.name}
    replies = bool(rule.public_reply_text.strip() or rule.private_reply_text.strip())
    cooldown = replies and _in_cooldown(rule, comment, run)
    steps = []
    if not cooldown and rule.public_reply_text.strip():
        steps.append(
            (
                "reply",
                lambda: comment_reply_public(comment=comment, text=rule.public_reply_text, **who),
            )
        )
    if not cooldown and rule.private_reply_text.strip():
        steps.append(
            (
                "private_reply",
                lambda: comment_reply_private(comment=comment, text=rule.private_reply_text, **who),
            )
        )
    if rule.hide:
        steps.append(("hide", lambda: comment_set_hidden(comment=comment, hidden=True, **who)))
    for name, step in steps:
        try:
            step()
            done.append(name)
            comment.refresh_from_db()
        except CommentActionRefused as exc:
            refused.append(f"{name}: {exc.reason}")
    conversation = comment.conversation
    if rule.add_label_id:
        conversation_add_label(conversation=conversation, label=rule.add_label, actor=None)
        done.append("label")
    if rule.assign_to_id and conversation.assignee_id != rule.assign_to_id:
        conversation_assign(conversation=conversation, assignee=rule.assign_to, actor=None)
        done.append("assign")
    run.replied = any(n in ("reply", "private_reply") for n in done)
    if refused:
        run.outcome = CommentRuleRun.Outcome.REFUSED
    elif cooldown:
        run.outcome = CommentRuleRun.Outcome.COOLDOWN
    run.detail = "; ".join([", ".join(done), *refused])[:2000]
    CommentRuleRun.objects.filter(pk=run.pk).update(
        replied=run.replied, outcome=run.outcome, detail=run.detail
    )


def comment_rule_set_enabled(*, rule: CommentRule, enabled: bool) -> CommentRule:
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    return rule
