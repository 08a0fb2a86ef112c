"""An agent runs a macro from the open conversation in a real headless Chromium."""

import pytest
from playwright.sync_api import expect

from inbox.automation.services.macros import macro_save
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory, LabelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_runs_a_macro_from_the_conversation(new_page, tenant_a, agent_a):
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp", settings={"simulator": True})
    conversation = ConversationFactory(
        tenant=tenant_a, channel=channel, contact=ContactFactory(tenant=tenant_a, name="Mai Anh")
    )
    paid = LabelFactory(tenant=tenant_a, name="paid")
    macro = macro_save(
        tenant=tenant_a,
        actor=None,
        name="Paid and done",
        actions=[
            {"type": "label_add", "value": str(paid.pk)},
            {"type": "note", "value": "Bank transfer received"},
            {"type": "status", "value": "resolved"},
        ],
    )
    page = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/?c={conversation.pk}")
    page.select_option("#thread-head select[data-macro-select]", str(macro.pk))
    expect(page.locator("#thread-head .thread-notice")).to_contain_text("3 actions done")
    expect(page.locator("#thread-head .thread-labels")).to_contain_text("paid")
    expect(page.locator("#thread-status")).to_contain_text("Resolved")
    expect(page.locator("#messages")).to_contain_text("Bank transfer received")
    expect(page.locator("#messages .macro-tag").first).to_contain_text("Paid and done")
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert list(conversation.labels.values_list("name", flat=True)) == ["paid"]
