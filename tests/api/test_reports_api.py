"""/api/v1/reports/…: the pages' figures for CRMs and BI tools, in the schema, scoped to the
key's tenant; a signed-in agent gets only their own figures."""

import pytest

from reports.histogram import within_bound
from tests.reports.conftest import day_query, history  # noqa: F401 (the fixture)

BASE = "/api/v1/reports/"


@pytest.mark.django_db
def test_the_summary_matches_the_overview(history, key_api, tenant_a, owner_a, client_for):  # noqa: F811
    data = key_api.get(BASE + "summary/", day_query()).json()
    assert data["period"] == {
        "key": "custom", "start": "2026-11-17", "end": "2026-11-17", "timezone": "Asia/Bangkok"
    }  # fmt: skip
    assert data["previous_period"]["start"] == "2026-11-16"
    figures = data["figures"]
    assert (figures["new"], figures["resolved"], figures["open"]) == (4, 3, 1)
    assert within_bound(figures["first_response_median"], 300)  # from the histograms
    assert data["previous_figures"]["new"] == 0
    page = client_for(owner_a).get(f"/t/{tenant_a.slug}/reports/", day_query())
    cards = {field: value for field, _l, _k, value, _p in page.context["cards"]}
    assert all(figures[k] == v for k, v in cards.items())


@pytest.mark.django_db
def test_breakdown_volume_heatmap_and_response_times(history, key_api, agent_a):  # noqa: F811
    rows = key_api.get(BASE + "breakdown/", day_query(dimension="agent")).json()["rows"]
    mine = next(r for r in rows if r["key"] == str(agent_a.pk))
    assert mine["figures"]["resolved"] == 2 and mine["previous_figures"]["resolved"] == 0
    teams = key_api.get(BASE + "breakdown/", day_query(dimension="team")).json()["rows"]
    assert {r["name"]: r["figures"]["new"] for r in teams} == {"Night shift": 2, "No team": 2}
    campaigns = key_api.get(BASE + "breakdown/", day_query(dimension="campaign")).json()
    assert {r["name"]: r["figures"]["new"] for r in campaigns["rows"]}["Big sale"] == 2
    points = key_api.get(BASE + "volume/", day_query()).json()["points"]
    assert sum(p["messages_in"] for p in points) == 4
    assert points[0]["at"].startswith("2026-11-17T09:00:00+07:00")
    cells = key_api.get(BASE + "heatmap/", day_query()).json()["cells"]
    assert {"weekday": 2, "hour": 9, "messages_in": 3} in cells
    bins = key_api.get(BASE + "response-times/", day_query()).json()["bins"]
    assert [b["first_responses"] for b in bins] == [0, 0, 2, 0, 1, 0, 0]


@pytest.mark.django_db
def test_an_agent_gets_only_their_own_figures(history, session_api, agent_a, admin_a):  # noqa: F811
    api = session_api(agent_a)
    assert api.get(BASE + "summary/", day_query()).json()["figures"]["new"] == 2
    rows = api.get(BASE + "breakdown/", day_query(dimension="agent")).json()["rows"]
    assert [r["key"] for r in rows] == [str(agent_a.pk)]


@pytest.mark.django_db
def test_another_tenants_key_sees_none_of_it(history, b_key_api):  # noqa: F811
    figures = b_key_api.get(BASE + "summary/", day_query()).json()["figures"]
    assert figures["new"] == 0 and figures["messages_in"] == 0
    rows = b_key_api.get(BASE + "breakdown/", day_query(dimension="agent")).json()["rows"]
    assert rows == []


@pytest.mark.django_db
def test_a_query_outside_the_schema_is_a_400(key_api):
    assert key_api.get(BASE + "summary/", {"period": "year"}).status_code == 400
    assert key_api.get(BASE + "breakdown/", {}).status_code == 400  # dimension is required
    assert key_api.get(BASE + "summary/", {"start": "yesterday"}).status_code == 400


@pytest.mark.django_db
def test_the_reports_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("summary", "breakdown", "volume", "heatmap", "response-times"):
        assert f"{BASE}{path}/" in schema["paths"]
