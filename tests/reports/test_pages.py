"""The report pages as people use them: the overview's figures and charts, breakdown tables
sorted and exported, the live view; agents see only their own figures."""

import csv
import html
import io
import re

import pytest
from django.utils import translation

from reports.histogram import within_bound
from tests.reports.conftest import day_query


def _get(client, tenant, path, **params):
    return client.get(f"/t/{tenant.slug}/reports/{path}", day_query(**params))


@pytest.mark.django_db
def test_the_overview_shows_the_days_figures_and_accessible_charts(
    history, tenant_a, owner_a, client_for
):
    response = _get(client_for(owner_a), tenant_a, "")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["cards"][0][3] == 4  # new conversations
    figures = {field: value for field, _l, _k, value, _p in response.context["cards"]}
    assert figures["resolved"] == 3 and figures["open"] == 1
    # 5 min, 5 min, 1 h (a percentile from the histograms, within their bound)
    assert within_bound(figures["first_response_median"], 300)
    assert re.search(r'data-testid="card-first_response_median">.*?<dd class="value">5 min<',
                     html, re.S)  # fmt: skip
    for chart in ("chart-volume", "chart-heatmap", "chart-distribution"):
        assert f'data-testid="{chart}"' in html
    assert html.count('role="img"') >= 3 and "<title id=" in html
    assert "<script>" not in html and " style=" not in html
    # Tuesday 09:00 Bangkok: three customer messages in that cell of the heatmap.
    assert response.context["heat"]["rows"][1]["cells"][9]["n"] == 3


@pytest.mark.django_db
def test_breakdown_by_agent_sorts_and_exports_translated_csv(
    history, tenant_a, owner_a, agent_a, admin_a, client_for
):
    client = client_for(owner_a)
    response = _get(client, tenant_a, "agents/", sort="first_response_median", dir="asc")
    names = [row.key for row in response.context["rows"]]
    assert names[:2] == [agent_a.pk, admin_a.pk]  # 5 min before 1 h
    # The page's own export link keeps the period and the order.
    href = re.search(r'data-testid="export-csv" href="([^"]+)"', response.content.decode())
    exported = client.get(html.unescape(href.group(1))).content.decode("utf-8-sig")
    lines = exported.splitlines()
    assert lines[1].startswith(agent_a.get_full_name()) and lines[2].startswith(
        admin_a.get_full_name()
    )
    with translation.override("cs"):
        response = client.get(
            f"/t/{tenant_a.slug}/reports/agents/export.csv",
            day_query(),
            HTTP_ACCEPT_LANGUAGE="cs",
        )
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Operátor", "Nové", "Nové, předchozí období", "Vyřešená"]
    agent_row = next(r for r in lines if r[0] == (agent_a.get_full_name() or agent_a.email))
    assert agent_row[1] == "2"  # new conversations assigned to agent A


@pytest.mark.django_db
def test_an_agent_sees_only_their_own_figures(history, tenant_a, agent_a, admin_a, client_for):
    client = client_for(agent_a)
    response = _get(client, tenant_a, "")
    figures = {field: value for field, _l, _k, value, _p in response.context["cards"]}
    assert figures["new"] == 2 and figures["resolved"] == 2
    assert within_bound(figures["first_response_median"], 300)
    assert 'data-testid="own-figures"' in response.content.decode()
    rows = _get(client, tenant_a, "agents/").context["rows"]
    assert [r.key for r in rows] == [agent_a.pk]
    lines = _get(client, tenant_a, "agents/export.csv").content.decode("utf-8-sig")
    assert admin_a.get_full_name() not in lines and agent_a.get_full_name() in lines
    channel_rows = _get(client, tenant_a, "channels/").context["rows"]
    assert channel_rows[0].current.new == 2  # not the admin's or the unassigned one


@pytest.mark.django_db
def test_viewers_see_everybodys_figures(history, tenant_a, viewer_a, client_for):
    response = _get(client_for(viewer_a), tenant_a, "")
    assert response.context["cards"][0][3] == 4


@pytest.mark.django_db
def test_team_label_and_campaign_breakdowns(history, tenant_a, owner_a, client_for):
    client = client_for(owner_a)
    teams = {r.name: r.current for r in _get(client, tenant_a, "teams/").context["rows"]}
    assert teams["Night shift"].new == 2 and teams["Night shift"].open == 1
    assert teams["Night shift"].messages_in == 2 and teams["No team"].new == 2
    labels = _get(client, tenant_a, "labels/").context["rows"]
    assert [(r.name, r.current.new) for r in labels] == [("VIP", 1)]
    campaigns = {r.name: r.current for r in _get(client, tenant_a, "campaigns/").context["rows"]}
    assert campaigns["Big sale"].new == 2 and campaigns["Big sale"].open == 1


@pytest.mark.django_db
def test_the_live_view_lists_who_waits_longest_and_refreshes_itself(
    history, tenant_a, owner_a, client_for
):
    client = client_for(owner_a)
    page = client.get(f"/t/{tenant_a.slug}/reports/live/").content.decode()
    assert 'hx-trigger="every 15s"' in page
    panel = client.get(f"/t/{tenant_a.slug}/reports/live/panel/", HTTP_HX_REQUEST="true")
    assert panel.context["waiting"][0]["conversation"] == history["waiting"]
    owner_row = next(a for a in panel.context["agents"] if a.user_id == owner_a.pk)
    assert owner_row.online  # they just opened a page


@pytest.mark.django_db
def test_the_live_counts_stop_at_their_cap_and_say_there_are_more(
    history, tenant_a, owner_a, agent_a, client_for, monkeypatch
):
    """The live view reads a bounded number of rows however large the backlog: above its cap
    a count shows as "N+"; below it, the exact number."""
    from inbox.models import Conversation
    from reports import live

    for _ in range(3):  # agent A: 3 open conversations more; 4 open in all with the waiting one
        Conversation.objects.create(
            tenant=tenant_a, channel=history["channel"], contact=history["waiting"].contact,
            assignee=agent_a, status="open",
        )  # fmt: skip
    Conversation.objects.create(
        tenant=tenant_a, channel=history["channel"], contact=history["waiting"].contact,
        status="pending",
    )  # fmt: skip
    client = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/reports/live/panel/"
    exact = client.get(url, HTTP_HX_REQUEST="true").context
    assert [s[2:] for s in exact["statuses"]] == [(4, False), (1, False), (0, False)]
    agent_row = next(a for a in exact["agents"] if a.user_id == agent_a.pk)
    assert (agent_row.open, agent_row.capped) == (3, False)

    monkeypatch.setattr(live, "STATUS_COUNT_CAP", 2)
    monkeypatch.setattr(live, "AGENT_LOAD_CAP", 2)
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert [s[2:] for s in response.context["statuses"]] == [(2, True), (1, False), (0, False)]
    agent_row = next(a for a in response.context["agents"] if a.user_id == agent_a.pk)
    assert (agent_row.open, agent_row.capped) == (2, True)
    panel = html.unescape(response.content.decode())
    assert re.search(r'data-testid="live-open"><dt>[^<]*</dt><dd class="value">2\+</dd>', panel)
    assert re.search(r"<td>2\+</td>", panel)
