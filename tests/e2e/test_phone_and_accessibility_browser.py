"""The inbox on a 390-px phone, and axe-core on every page (one browser for the module).

Phone: sign in, open a conversation, reply, go back, apply a filter, open the contact panel,
never scrolling sideways. Accessibility: axe-core on every signed-in page (as the owner and as
an agent, with a conversation open) finds no serious or critical violation.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.e2e.axe import describe, serious_violations
from tests.e2e.conftest import sign_in
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    LabelFactory,
    MessageFactory,
)
from tests.isolation_objects import KWARG_FACTORIES
from tests.test_isolation import _fill, _object_kwargs, tenant_page_routes

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop(tenant_a, agent_a):
    channel = ChannelFactory(
        tenant=tenant_a,
        provider="whatsapp",
        name="Shop WA",
        settings={"simulator": True},
        credentials={"access_token": "EAA.wa.t"},
    )
    lan = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        contact=ContactFactory(tenant=tenant_a, name="Lan Nguyen"),
        last_message_preview="Shop ơi áo dài này còn size M không ạ",
    )
    MessageFactory(conversation=lan, text="Shop ơi áo dài này còn size M không ạ")
    ContactIdentityFactory(
        tenant=tenant_a, contact=lan.contact, channel=channel, external_id="84912345678"
    )
    tiktok = ChannelFactory(tenant=tenant_a, provider="tiktok", name="Shop TikTok")
    somchai = ConversationFactory(
        tenant=tenant_a,
        channel=tiktok,
        contact=ContactFactory(tenant=tenant_a, name="Somchai Sukjai"),
        last_message_preview="hello",
    )
    MessageFactory(conversation=somchai, text="hello")
    label = LabelFactory(tenant=tenant_a, name="vip", color="#b42318")
    lan.labels.add(label)
    return {"channel": channel, "lan": lan, "somchai": somchai, "label": label}


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _sign_in(browser, base_url, user, viewport):
    context = browser.new_context(base_url=base_url, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, user)
    return page


def test_a_live_update_leaves_the_phone_actions_menu_open(
    browser, asgi_server, tenant_a, agent_a, shop, e2e_redis_layer
):
    """The thread header is re-rendered when the open conversation changes; an agent who has
    just opened its actions menu must not see it snap shut under their finger."""
    from django.utils import timezone

    from inbox.models import Conversation
    from tests.e2e.test_inbox_browser import _broadcast_from_worker

    page = _sign_in(browser, asgi_server["url"], agent_a, PHONE)
    try:
        lan = shop["lan"]
        page.goto(f"/t/{tenant_a.slug}/inbox/")
        expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
        page.locator(f"#conv-{lan.pk} a.conv-link").click()
        head = page.locator("#thread-head")
        page.locator("#thread-head [data-menu-toggle]").click()
        expect(head.locator("[data-action=resolve]")).to_be_visible()
        page.evaluate("() => { document.getElementById('thread-head').dataset.before = '1'; }")

        now = timezone.now()
        MessageFactory(conversation=lan, text="Shop ơi còn màu đỏ không?", created_at=now)
        Conversation.objects.filter(pk=lan.pk).update(
            last_message_at=now, last_customer_message_at=now
        )
        _broadcast_from_worker(
            tenant_id=tenant_a.pk, event="message.created", data={"conversation_id": lan.pk}
        )
        expect(page.locator("#messages")).to_contain_text("còn màu đỏ", timeout=5000)
        # The header was replaced by a fresh one, and its menu is still open.
        expect(page.locator("#thread-head[data-before]")).to_have_count(0, timeout=5000)
        expect(head.locator("[data-action=resolve]")).to_be_visible()
        expect(head.locator("[data-menu-toggle]")).to_have_attribute("aria-expanded", "true")
    finally:
        page.context.close()


def test_an_agent_answers_from_a_phone(browser, asgi_server, tenant_a, agent_a, shop):
    page = _sign_in(browser, asgi_server["url"], agent_a, PHONE)
    try:
        page.goto(f"/t/{tenant_a.slug}/inbox/")
        expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
        # The list fills the screen; filters wait in a sheet.
        expect(page.locator("#conversation-list")).to_be_visible()
        expect(page.locator("#filter-form")).to_be_hidden()
        _no_sideways_scroll(page)

        page.locator(f"#conv-{shop['lan'].pk} a.conv-link").click()
        thread = page.locator("#thread")
        expect(thread).to_contain_text("áo dài")
        expect(page.locator("#conversation-list")).to_be_hidden()
        head = page.locator("#thread-head")
        expect(head).to_contain_text("Lan Nguyen")
        expect(head.locator(".head-window")).to_be_visible()
        # The actions wait behind one menu, so the first message is on screen.
        expect(head.locator("[data-action=resolve]")).to_be_hidden()
        expect(page.locator("#messages li.msg").first).to_be_in_viewport()
        _no_sideways_scroll(page)

        page.fill("#composer-text", "Dạ còn size M ạ")
        page.locator("#composer-send").click()
        expect(page.locator("#messages")).to_contain_text("Dạ còn size M ạ")
        expect(page.locator("#composer-text")).to_be_in_viewport()

        page.locator("#thread-head [data-menu-toggle]").click()
        expect(head.locator("[data-action=resolve]")).to_be_visible()
        _no_sideways_scroll(page)

        page.locator("#thread-head [data-show-contact]").click()
        contact = page.locator("#contact-pane")
        expect(contact).to_contain_text("84912345678")
        expect(contact).to_contain_text("Orders and bookings")
        expect(thread).to_be_hidden()
        _no_sideways_scroll(page)
        contact.locator("[data-back-to-thread]").click()
        expect(thread).to_be_visible()

        page.locator("#thread-head [data-back]").click()
        expect(page.locator("#conversation-list")).to_be_visible()
        expect(thread).to_be_hidden()

        page.locator("[data-open-filters]").click()
        sheet = page.locator("#filter-sheet")
        expect(sheet).to_be_visible()
        _no_sideways_scroll(page)
        sheet.locator(f".label-filter input[value='{shop['label'].pk}']").check()
        page.wait_for_url(re.compile(r"label="))
        expect(page.locator(f"#conv-{shop['lan'].pk}")).to_be_visible()
        expect(page.locator(f"#conv-{shop['somchai'].pk}")).to_have_count(0)
        expect(page.locator("#filter-form")).to_be_hidden()
        _no_sideways_scroll(page)
    finally:
        page.context.close()


def _full_pages(user, tenant) -> list[str]:
    """Every tenant page (not a partial, not a POST-only route) that answers this user 200."""
    client = Client()
    client.force_login(user)
    cache: dict = {}
    paths = []
    for route in tenant_page_routes():
        values = {"tenant_slug": tenant.slug}
        for kwarg in _object_kwargs(route):
            if kwarg not in cache:
                cache[kwarg] = KWARG_FACTORIES[kwarg](tenant)
            values[kwarg] = cache[kwarg].pk
        path = _fill(route, values)
        response = client.get(path)
        if (
            response.status_code == 200
            and response["Content-Type"].startswith("text/html")
            and b"<title>" in response.content
        ):
            paths.append(path)
    return paths


@pytest.mark.parametrize("role", ["owner", "agent"])
def test_every_page_passes_axe(browser, asgi_server, tenant_a, owner_a, agent_a, shop, role):
    """Every page on a desktop; the inbox (list, thread, contact) and a few others on a phone,
    where the same templates are laid out differently."""
    user = owner_a if role == "owner" else agent_a
    inbox = f"/t/{tenant_a.slug}/inbox/"
    everything = [f"{inbox}?c={shop['lan'].pk}", *_full_pages(user, tenant_a), "/accounts/email/"]
    on_phone = [inbox, f"{inbox}?c={shop['lan'].pk}", f"/t/{tenant_a.slug}/notifications/"]
    problems = {}
    for viewport, paths in ((PHONE, on_phone), ({"width": 1400, "height": 900}, everything)):
        page = _sign_in(browser, asgi_server["url"], user, viewport)
        try:
            for path in paths:
                page.goto(path)
                if path.startswith(inbox):
                    page.wait_for_load_state("networkidle")  # the htmx panels
                found = serious_violations(page)
                if path == f"{inbox}?c={shop['lan'].pk}" and viewport is PHONE:
                    page.locator("#thread-head [data-show-contact]").click()
                    expect(page.locator("#contact-pane")).to_contain_text("Orders and bookings")
                    found += serious_violations(page)
                if found:
                    problems[f"{viewport['width']}px {path}"] = describe(found)
        finally:
            page.context.close()
    if problems:
        pytest.fail("\n".join(f"{k}\n{v}" for k, v in problems.items()), pytrace=False)


def test_the_sign_in_page_passes_axe(browser, asgi_server):
    context = browser.new_context(base_url=asgi_server["url"], viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        assert serious_violations(page) == [], describe(serious_violations(page))
    finally:
        context.close()
