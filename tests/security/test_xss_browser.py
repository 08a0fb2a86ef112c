"""Stored XSS in the real browser: hostile customer text, contact names, labels and rule names
are rendered in headless Chromium and nothing executes (``window.__xss`` stays undefined, no
dialog opens, no inline handler runs).

Uses the inbox-ui helper's Playwright fixtures (tests/e2e/conftest.py: ``asgi_server``,
``browser``, ``new_page``); skipped until they are on main or when Chromium is missing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests import factories
from tests.e2e import conftest as e2e

from .test_xss import SCRIPT, poison_tenant
from .walk import fill, tenant_routes

# The browser fixtures, shared with tests/e2e.
asgi_server, browser, new_page = e2e.asgi_server, e2e.browser, e2e.new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE = {
    "script": SCRIPT,
    "svg": '<svg onload="window.__xss=4"></svg>',
    "attr": '" autofocus onfocus="window.__xss=5" x="',
    "js_url": "javascript:window.__xss=6",
    "template": '{{7*7}}<iframe srcdoc="<script>parent.__xss=7</script>"></iframe>',
}


@pytest.fixture
def hostile_world(tenant_a, owner_a):
    channel = factories.ChannelFactory(
        tenant=tenant_a,
        provider="whatsapp",
        settings={"simulator": True},
        credentials={"access_token": "EAA.wa.t"},
    )
    for n, text in enumerate(HOSTILE.values()):
        contact = factories.ContactFactory(tenant=tenant_a, name=text[:200])
        conversation = factories.ConversationFactory(
            tenant=tenant_a, channel=channel, contact=contact
        )
        factories.ContactIdentityFactory(
            tenant=tenant_a, contact=contact, channel=channel, external_id=f"8490000{n:04d}"
        )
        factories.MessageFactory(conversation=conversation, text=text)
        label = factories.LabelFactory(tenant=tenant_a, name=f"{text[:40]}{n}")
        conversation.labels.add(label)
    cache: dict = {}
    paths = [fill(route, tenant_a, cache) for route in tenant_routes()]
    poison_tenant(tenant_a)  # every other free-text field too (rule names, notes, …)
    return paths


def test_nothing_executes_on_any_tenant_page(new_page, owner_a, hostile_world):
    page = new_page(owner_a)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    visited = shown = 0
    for path in ["/", *hostile_world]:
        try:
            response = page.goto(path)
        except PlaywrightError:  # a POST-only action answers 405: nothing to render
            continue
        if response is None or response.status != 200:
            continue
        if "html" not in (response.headers.get("content-type") or ""):
            continue
        page.wait_for_load_state("networkidle")
        visited += 1
        shown += "window.__xss" in page.inner_text("body")  # shown as text, not run
        # focus and hover everything focusable, so attribute-injection handlers would fire
        page.evaluate(
            "() => document.querySelectorAll('a,button,input,textarea,[tabindex]')"
            ".forEach(e => { try { e.focus(); e.dispatchEvent(new Event('mouseover')) } "
            "catch (_) {} })"
        )
        assert page.evaluate("() => typeof window.__xss") == "undefined", path
        hrefs = page.evaluate(
            "() => [...document.querySelectorAll('[href],[src],[action]')]"
            ".map(e => e.getAttribute('href') || e.getAttribute('src') || "
            "e.getAttribute('action') || '').filter(v => /^\\s*javascript:/i.test(v))"
        )
        assert not hrefs, (path, hrefs)
    assert visited >= 3
    assert shown >= 1, "no page displayed the hostile text: the check proved nothing"
    assert not dialogs
