"""Instagram in a real headless Chromium: a simulated Instagram customer's message appears live
in the agent's inbox, and the agent's reply reaches the fake Instagram API."""

import json
import re

import pytest
from playwright.sync_api import expect

from inbox.models import Channel
from inbox.simulator.models import SimulatorRequest

pytestmark = pytest.mark.django_db(transaction=True)

IG_ACCOUNT = "17841405793187218"


@pytest.fixture
def instagram(tenant_a):
    return Channel.objects.create(
        tenant=tenant_a,
        provider="instagram",
        name="Shop IG",
        account_id=IG_ACCOUNT,
        credentials={"flavour": "instagram_login", "access_token": f"IGAA.{IG_ACCOUNT}.t"},
        settings={"simulator": True},
    )


def test_an_instagram_customer_appears_live_and_the_reply_reaches_instagram(
    new_page, tenant_a, agent_a, owner_a, instagram
):
    inbox = new_page(agent_a, f"/t/{tenant_a.slug}/inbox/")
    expect(inbox.locator("#inbox")).to_have_attribute("data-live", "on")
    simulator = new_page(owner_a, f"/t/{tenant_a.slug}/simulator/")
    simulator.select_option("select[name=in-channel]", str(instagram.pk))
    simulator.fill("input[name=in-name]", "Mai Tran")
    simulator.fill("textarea[name=in-text]", "Is the linen dress still in size S?")
    simulator.locator("form.stack button[type=submit]").click()
    simulator.wait_for_load_state("networkidle")

    row = inbox.locator("li.conv-row", has_text="Mai Tran")
    expect(row).to_contain_text("Is the linen dress still in size S?", timeout=5000)
    row.locator("a.conv-link").click()
    expect(inbox.locator("#messages")).to_contain_text("Is the linen dress still in size S?")

    inbox.fill("#composer-text", "Yes, size S is in stock!")
    inbox.keyboard.press("Enter")
    expect(inbox.locator("#messages .msg-out").last).to_contain_text("Yes, size S is in stock!")
    expect(inbox.locator("#messages .msg-out .delivery").last).to_contain_text(
        re.compile("Sent|Read"), timeout=10_000
    )
    sent = SimulatorRequest.objects.filter(path__endswith=f"/{IG_ACCOUNT}/messages").get()
    assert sent.path.startswith("/instagram/graph.instagram.com/")
    assert json.loads(sent.body)["message"] == {"text": "Yes, size S is in stock!"}
