"""A team lead opens Reports on a 390-px phone: the day's figures and the three charts, no
sideways scrolling, no CSP violation; then sorts the agents' table and exports it as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.reports.conftest import history  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DAY = "?period=custom&start=2026-11-17&end=2026-11-17"


@pytest.mark.usefixtures("history")
def test_the_overview_on_a_phone_and_a_csv_export(browser, asgi_server, tenant_a, owner_a, agent_a):
    context = browser.new_context(
        base_url=asgi_server["url"], viewport=PHONE, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=login]", owner_a.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("input[name=password]").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
        page.wait_for_load_state("networkidle")
        page.goto(f"/t/{tenant_a.slug}/reports/{DAY}")
        expect(page.locator("[data-testid=card-new] .value")).to_have_text("4")
        expect(page.locator("[data-testid=card-first_response_median] .value")).to_have_text(
            "5 min"
        )
        for chart in ("chart-volume", "chart-heatmap", "chart-distribution"):
            svg = page.locator(f"[data-testid={chart}]")
            expect(svg).to_be_visible()
            box = svg.bounding_box()
            assert box and box["width"] <= PHONE["width"], chart
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the overview scrolls sideways by {overflow}px"

        page.get_by_role("link", name="Agents", exact=True).click()
        table = page.locator("[data-testid=breakdown-table]")
        expect(table).to_contain_text(agent_a.get_full_name())
        table.get_by_role("link", name="First response (median)").click()
        expect(table.locator("th[aria-sort]")).to_contain_text("First response (median)")
        with page.expect_download() as info:
            page.locator("[data-testid=export-csv]").click()
        download = info.value
        assert download.suggested_filename.endswith(".csv")
        with open(download.path(), encoding="utf-8-sig") as f:
            rows = list(csv.reader(io.StringIO(f.read())))
        assert rows[0][:2] == ["Agent", "New"]
        mine = next(r for r in rows if r[0] == agent_a.get_full_name())
        assert mine[1] == "2" and mine[3] == "2"  # new, resolved
        assert not problems, problems
    finally:
        context.close()
