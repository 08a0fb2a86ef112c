"""Comment rules: the shipped defaults (off until enabled), conditions, actions against the
fakes, never acting twice on one comment (redelivery, retried task), never on the shop's own
comments, replies at most once per author and post within the cooldown."""

import pytest

from inbox.automation.models import CommentRule, CommentRuleRun
from inbox.automation.services.comment_rules import (
    automation_run_for_comment,
    comment_rules_ensure_defaults,
)
from inbox.models import Comment, Label
from inbox.simulator.payloads import simulate_comment
from tests.channels.conftest import fake_requests

pytestmark = pytest.mark.django_db


def _comment(channel, capture, text, name="Lan Nguyen", post="5550001"):
    with capture(execute=True):
        simulate_comment(channel=channel, post_id=post, name=name, text=text)
    return Comment.objects.filter(is_own=False).order_by("-id").first()


def _enable(tenant, key):
    comment_rules_ensure_defaults(tenant=tenant)
    rule = CommentRule.objects.get(tenant=tenant, default_key=key)
    rule.enabled = True
    rule.save()
    return rule


def test_the_shipped_rules_exist_and_are_off(tenant_a):
    comment_rules_ensure_defaults(tenant=tenant_a)
    comment_rules_ensure_defaults(tenant=tenant_a)
    rules = CommentRule.objects.filter(tenant=tenant_a)
    assert sorted(r.default_key for r in rules) == ["hide_phone", "price_private"]
    assert not any(r.enabled for r in rules)


def test_off_rules_do_nothing(tenant_a, messenger_channel, django_capture_on_commit_callbacks):
    comment_rules_ensure_defaults(tenant=tenant_a)
    comment = _comment(messenger_channel, django_capture_on_commit_callbacks, "sđt 0912 345 678")
    assert comment.state == "visible" and not CommentRuleRun.objects.exists()


def test_the_phone_rule_hides_a_comment_with_a_number_and_only_that_one(
    tenant_a, messenger_channel, django_capture_on_commit_callbacks
):
    _enable(tenant_a, "hide_phone")
    capture = django_capture_on_commit_callbacks
    with_phone = _comment(messenger_channel, capture, "ib e 0912.345.678 nha")
    price = _comment(messenger_channel, capture, "giá 150.000đ hả shop", name="Minh")
    assert Comment.objects.get(pk=with_phone.pk).state == "hidden"
    assert fake_requests(f"/{with_phone.external_id}")[-1]["json"] == {"is_hidden": True}
    assert Comment.objects.get(pk=price.pk).state == "visible"
    activity = with_phone.conversation.messages.get(kind="activity")
    assert activity.author_kind == "bot" and "Hide comments" in activity.rule_name


def test_a_rule_never_acts_twice_on_one_comment(
    tenant_a, tiktok_channel, django_capture_on_commit_callbacks, post_webhook
):
    rule = _enable(tenant_a, "hide_phone")
    rule.public_reply_text = "Shop đã ẩn số điện thoại của bạn để bảo mật ạ"
    rule.save()
    comment = _comment(
        tiktok_channel, django_capture_on_commit_callbacks, "0912 345 678", post="7311982046"
    )
    automation_run_for_comment(comment_id=comment.pk)  # a retried task
    # The same comment announced again (TikTok redelivers for up to 72 h).
    from inbox.simulator.fakes import tiktok_comments
    from inbox.simulator.store import DatabaseStore

    data = DatabaseStore().get_object("tiktok", "comment", comment.external_id)
    post_webhook("tiktok", tiktok_comments.comment_event(tiktok_channel.account_id, data, "insert"))
    assert CommentRuleRun.objects.count() == 1
    assert len(fake_requests("/business/comment/hide/")) == 1
    assert len(fake_requests("/business/comment/reply/create/")) == 1


def test_never_on_the_shops_own_comments(tenant_a, messenger_channel, post_webhook):
    _enable(tenant_a, "hide_phone")
    post_webhook("messenger", "feed_comment_add")  # a customer's comment with a number
    hidden_calls = len(fake_requests("is_hidden"))
    post_webhook("messenger", "feed_comment_page_reply")
    own = Comment.objects.get(is_own=True)
    assert automation_run_for_comment(comment_id=own.pk) == []
    assert len(fake_requests("is_hidden")) == hidden_calls


def test_the_price_rule_answers_privately_once_per_author_and_post(
    tenant_a, messenger_channel, django_capture_on_commit_callbacks
):
    _enable(tenant_a, "price_private")
    capture = django_capture_on_commit_callbacks
    first = _comment(messenger_channel, capture, "Giá bao nhiêu shop?")
    second = _comment(messenger_channel, capture, "giá sao ạ?")  # same author, same post
    other_post = _comment(messenger_channel, capture, "giá?", post="5550002")
    assert Comment.objects.get(pk=first.pk).private_reply_conversation is not None
    assert Comment.objects.get(pk=second.pk).private_reply_conversation is None
    assert Comment.objects.get(pk=other_post.pk).private_reply_conversation is not None
    outcomes = dict(CommentRuleRun.objects.values_list("comment_id", "outcome"))
    assert outcomes[second.pk] == "cooldown"
    assert not CommentRuleRun.objects.filter(comment__text__icontains="xin chào").exists()


def test_conditions_keywords_email_reply_and_actions_label_and_assign(
    tenant_a, agent_a, messenger_channel, django_capture_on_commit_callbacks, post_webhook
):
    label = Label.objects.create(tenant=tenant_a, name="lead")
    CommentRule.objects.create(
        tenant=tenant_a,
        name="emails",
        enabled=True,
        has_email=True,
        add_label=label,
        assign_to=agent_a,
        is_reply="no",
    )
    capture = django_capture_on_commit_callbacks
    plain = _comment(messenger_channel, capture, "mail me lan@example.com")
    assert list(plain.conversation.labels.all()) == [label]
    assert plain.conversation.assignee == agent_a
    nothing = _comment(messenger_channel, capture, "no email here", name="Minh")
    assert not nothing.conversation.labels.exists()


def test_private_reply_refused_on_tiktok_is_recorded(
    tenant_a, tiktok_channel, django_capture_on_commit_callbacks
):
    _enable(tenant_a, "price_private")
    comment = _comment(tiktok_channel, django_capture_on_commit_callbacks, "ราคาเท่าไหร่", post="73")
    run = CommentRuleRun.objects.get(comment=comment)
    assert run.outcome == "refused" and "TikTok" in run.detail
