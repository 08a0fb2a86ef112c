"""A rule's action on a comment when the provider is down or refuses: the send path's
retries with backoff (the same as a message), the failure visible in the thread after the
last attempt, and a refusal explained at once, never retried."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox import effects
from inbox.automation.models import CommentRule, CommentRuleRun
from inbox.automation.services.comment_rules import (
    automation_run_for_comment,
    comment_rules_ensure_defaults,
)
from inbox.ingest.sweep import sweep_pending
from inbox.models import Comment, Conversation, Message
from inbox.services.comment_jobs import comment_action_deliver
from inbox.services.sending import MAX_ATTEMPTS, delivery_task, message_deliver
from inbox.simulator.payloads import simulate_comment
from tests.channels.conftest import fake_requests

pytestmark = pytest.mark.django_db


def _enable(tenant, key, **changes):
    comment_rules_ensure_defaults(tenant=tenant)
    rule = CommentRule.objects.get(tenant=tenant, default_key=key)
    rule.enabled = True
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def _comment(channel, capture, text, name="Lan Nguyen", post="5550001"):
    with capture(execute=True):
        simulate_comment(channel=channel, post_id=post, name=name, text=text)
    return Comment.objects.filter(is_own=False).order_by("-id").first()


def _comment_then_rule(channel, capture, fake, text, failure, key="hide_phone"):
    """The comment first (its post read), then the rule runs as its task would, with the
    provider failing as ``failure`` says."""
    comment = _comment(channel, capture, text)
    _enable(channel.tenant, key)
    fake.inject(*failure[:1], provider="graph", path_contains=comment.external_id, **failure[1])
    automation_run_for_comment(comment_id=comment.pk)
    return comment


def _line(comment):
    return Message.objects.get(conversation=comment.conversation_id, kind="activity")


def _thread(client, comment) -> str:
    url = f"/t/tenant-a/inbox/c/{comment.conversation_id}/"
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()


def test_hiding_while_facebook_is_down_is_retried_with_backoff_then_done(
    tenant_a, messenger_channel, fake, django_capture_on_commit_callbacks, agent_a, client_for
):
    comment = _comment_then_rule(
        messenger_channel,
        django_capture_on_commit_callbacks,
        fake,
        "sđt 0912 345 678",
        ("http_500", {}),
    )
    assert Comment.objects.get(pk=comment.pk).state == "visible"
    line = _line(comment)
    assert line.status == "queued" and line.attempts == 1 and line.error_code == "http_500"
    delay = (line.next_attempt_at - timezone.now()).total_seconds()
    assert 5 < delay < 15  # the send path's first backoff step
    page = _thread(client_for(agent_a), comment)
    assert "activity-retrying" in page and "Not done yet, retrying" in page
    assert comment_action_deliver(message_id=line.pk) is None  # not due yet: nothing called
    # never claimed as a message (its text is not sent to the customer)
    assert message_deliver(message_id=line.pk, now=line.next_attempt_at) is None
    assert comment_action_deliver(message_id=line.pk, now=line.next_attempt_at) == "sent"
    line.refresh_from_db()
    assert line.attempts == 2 and line.error_code == "" and line.status == "sent"
    assert "Comment hidden by rule" in line.text
    assert Comment.objects.get(pk=comment.pk).state == "hidden"
    hides = [
        r for r in fake_requests(f"/{comment.external_id}") if r["json"] == {"is_hidden": True}
    ]
    assert len(hides) == 2
    # one line in the thread for the action, whatever the attempts
    assert (
        Message.objects.filter(conversation=comment.conversation_id, kind="activity").count() == 1
    )


def test_after_the_last_attempt_the_agent_sees_the_failure_in_the_thread(
    tenant_a, tiktok_channel, fake, django_capture_on_commit_callbacks, agent_a, client_for
):
    _enable(tenant_a, "hide_phone")
    fake.inject("timeout", count=MAX_ATTEMPTS, provider="tiktok", path_contains="comment/hide")
    comment = _comment(
        tiktok_channel, django_capture_on_commit_callbacks, "0912 345 678", post="7311982046"
    )
    line = _line(comment)
    now = timezone.now()
    while line.status == "queued":
        now += timedelta(seconds=700)
        comment_action_deliver(message_id=line.pk, now=now)
        line.refresh_from_db()
    assert line.status == "failed" and line.attempts == MAX_ATTEMPTS
    assert f"Gave up after {MAX_ATTEMPTS} attempts" in line.error_message
    assert len(fake_requests("/business/comment/hide/")) == MAX_ATTEMPTS
    assert Comment.objects.get(pk=comment.pk).state == "visible"
    page = _thread(client_for(agent_a), comment)
    assert "activity-failed" in page and f"Gave up after {MAX_ATTEMPTS} attempts" in page
    # a failed comment action is not a message the customer is waiting on
    conversation = Conversation.objects.get(pk=comment.conversation_id)
    assert conversation.business_messages_since_customer == 0


def test_a_refusal_by_the_provider_is_explained_and_not_retried(
    tenant_a, messenger_channel, fake, django_capture_on_commit_callbacks, agent_a, client_for
):
    comment = _comment_then_rule(
        messenger_channel,
        django_capture_on_commit_callbacks,
        fake,
        "0912.345.678",
        ("error", {"code": "200"}),  # no permission
    )
    line = _line(comment)
    assert line.status == "failed" and line.attempts == 1 and line.next_attempt_at is None
    assert line.error_code == "200" and line.error_message
    assert "retried" not in line.error_message
    run = CommentRuleRun.objects.get(comment=comment)
    assert run.outcome == "refused" and line.error_message in run.detail
    later = timezone.now() + timedelta(hours=1)
    assert comment_action_deliver(message_id=line.pk, now=later) is None  # never again
    assert sweep_pending(now=later)["messages"] == 0
    assert line.error_message in _thread(client_for(agent_a), comment)


def test_a_private_reply_while_instagram_is_down_is_retried_and_opens_the_dm_once(
    tenant_a, instagram_channel, fake, django_capture_on_commit_callbacks
):
    _enable(tenant_a, "price_private")
    fake.inject("http_500", path_contains="/messages")
    comment = _comment(instagram_channel, django_capture_on_commit_callbacks, "giá bao nhiêu?")
    line = _line(comment)
    assert line.status == "queued" and "replies privately" in line.text
    assert Comment.objects.get(pk=comment.pk).private_reply_at is None  # the claim is released
    assert comment_action_deliver(message_id=line.pk, now=line.next_attempt_at) == "sent"
    comment.refresh_from_db()
    assert comment.private_reply_conversation is not None
    dm = comment.private_reply_conversation.messages.get(direction="out")
    assert dm.author_kind == "bot" and dm.status == "sent"
    assert len(fake_requests("/messages")) == 2  # the failed attempt and the one that went
    line.refresh_from_db()
    assert "Replied privately" in line.text
    assert CommentRuleRun.objects.get(comment=comment).replied


def test_the_sweeper_picks_up_a_due_comment_action_left_behind(
    tenant_a, messenger_channel, fake, django_capture_on_commit_callbacks
):
    comment = _comment_then_rule(
        messenger_channel,
        django_capture_on_commit_callbacks,
        fake,
        "0912 345 678",
        ("http_500", {}),
    )
    line = _line(comment)
    later = line.next_attempt_at + timedelta(minutes=5)
    assert sweep_pending(now=later)["messages"] == 1
    # its own task: a comment action is never delivered as a message to the customer
    assert delivery_task(line) == effects.COMMENT_ACTION_DELIVER
    assert message_deliver(message_id=line.pk, now=later) is None
