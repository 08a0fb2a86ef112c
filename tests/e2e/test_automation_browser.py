"""Automation admin pages in a real headless Chromium: an admin creates a keyword rule, tries a
Thai message in the "try a message" box (htmx) and disables the rule from the list (htmx)."""

import os

import pytest

from inbox.automation.models import AutoReplyRule

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = os.environ.get("AUTOMATION_SCREENSHOTS")  # a directory, to look at the pages


@pytest.fixture
def open_page(request):
    return request.getfixturevalue("new_page")


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_an_admin_creates_a_rule_tries_a_message_and_disables_it(open_page, tenant_a, admin_a):
    from playwright.sync_api import expect

    page = open_page(admin_a, f"/t/{tenant_a.slug}/automation/")
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    expect(page.locator("h1")).to_have_text("Auto-reply rules")
    page.get_by_role("link", name="+ New rule").click()

    page.fill("input[name=name]", "Price (Thai)")
    page.fill("textarea[name=keywords]", "ราคา\nเท่าไหร่")
    page.fill("textarea[name=reply_text]", 'สวัสดีค่ะ {{ contact.first_name|default:"คุณลูกค้า" }}')
    _shot(page, "rule_form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#rules")).to_contain_text("Price (Thai)")
    _shot(page, "rules")

    page.get_by_role("link", name="Try a message").click()
    page.fill("textarea[name=text]", "สนใจค่ะราคาเท่าไหร่คะ")
    page.get_by_role("button", name="Try").click()
    result = page.locator("#try-result")
    expect(result.locator("mark").first).to_have_text("ราคา")
    expect(result).to_contain_text("fires")
    _shot(page, "try")

    page.get_by_role("link", name="Auto-reply rules").click()
    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#rules")).to_contain_text("Disabled")
    expect(page.get_by_role("button", name="Enable", exact=True)).to_be_visible()
    assert not AutoReplyRule.objects.get(name="Price (Thai)").enabled

    page.get_by_role("link", name="Business hours").click()
    expect(page.locator("h1")).to_have_text("Business hours")
    _shot(page, "hours")
    assert errors == []
