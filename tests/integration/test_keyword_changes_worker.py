"""A keyword change made here (the web process) is picked up by a running Celery worker that
already holds the tenant's matcher: the version travels through the real Redis cache."""

import pytest

from inbox.automation.models import MessageAutomation, RuleRun
from tests.factories import ConversationFactory, MessageFactory
from tests.integration.waiting import wait_for


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_matches_the_new_keywords_after_a_rule_changes(celery_worker_process, tenant_a):
    from inbox.automation import services

    conversation = ConversationFactory(tenant=tenant_a)
    rule = services.rule_save(
        tenant=tenant_a,
        actor=None,
        data={
            "name": "Price",
            "trigger": "keywords",
            "note_text": "asked for the price",
            "cooldown_minutes": 0,
        },
        keywords=["giá"],
        accent_insensitive=True,
    )

    def process(text):
        message = MessageFactory(conversation=conversation, text=text)
        celery_worker_process.send_task("automation.run_for_message", args=[message.pk])
        return message

    def fired(message):
        return RuleRun.objects.filter(rule=rule, message=message, outcome="fired").exists()

    first = process("Shop ơi GIA bao nhiêu?")
    wait_for(lambda: fired(first))  # the worker has built and cached the tenant's matcher

    services.rule_save(tenant=tenant_a, actor=None, rule=rule, data={}, keywords=["ship"])
    old_keyword = process("giá?")
    new_keyword = process("ship to Hanoi?")
    wait_for(lambda: fired(new_keyword))
    # One solo worker takes the tasks in order: the message before was processed too.
    assert MessageAutomation.objects.filter(message=old_keyword).exists()
    assert not RuleRun.objects.filter(message=old_keyword).exists()
