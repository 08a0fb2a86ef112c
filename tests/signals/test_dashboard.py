import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from signals_app.models import SignalReport

from .conftest import drain, receive, tiktok_ad_conversation, whatsapp_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(tenant_a, connect):
    connect(tenant_a)
    for n in range(3):
        conversation = tiktok_ad_conversation(tenant_a, n=1, campaign_name="Summer sale")
        receive(conversation, "Hello")
        if n == 0:
            receive(conversation, "I have paid")
    other = tiktok_ad_conversation(tenant_a, n=2, campaign_name="=cmd|' /C calc'!A0")
    receive(other, "I want to order")
    receive(whatsapp_conversation(tenant_a), "I have paid")
    drain(tenant_a)
    SignalReport.objects.filter(signal="conversation_started").update(
        created_at=timezone.now() - timedelta(days=1)
    )


def test_the_dashboard_shows_campaigns_signals_and_delivery(
    tenant_a, viewer_a, client_for, activity, django_assert_max_num_queries
):
    c = client_for(viewer_a)
    with django_assert_max_num_queries(20):
        response = c.get(f"/t/{tenant_a.slug}/signals/")
    html = response.content.decode()
    assert "Summer sale" in html
    assert "33.3 %" in html  # 1 of 3 Summer sale conversations reached a payment
    assert 'data-testid="health-sent">7<' in html
    assert 'class="seg"' in html  # the CSS chart
    assert "<script>" not in html
    assert 'aria-current="page">Dashboard<' in html


def test_the_dashboard_period_is_chosen(tenant_a, owner_a, client_for, activity):
    c = client_for(owner_a)
    future = (timezone.now() + timedelta(days=10)).date().isoformat()
    response = c.get(f"/t/{tenant_a.slug}/signals/", {"start": future, "end": future})
    assert b"No conversations in this period." in response.content


def test_the_csv_export(tenant_a, owner_a, client_for, activity):
    response = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Section", "Source", "Campaign", "Ad ID", "Conversations"]
    campaign = next(r for r in rows if r[:3] == ["campaign", "tiktok_ad", "Summer sale"])
    assert campaign[4:] == ["3", "1", "33.3"]
    assert any(r[:3] == ["campaign", "tiktok_ad", "'=cmd|' /C calc'!A0"] for r in rows)
    header = rows.index(
        [
            "Day",
            "Conversation started",
            "Payment",
            "Order",
            "Address",
            "Booking",
            "Lead",
            "Total",
        ]
    )
    totals = [int(r[-1]) for r in rows[header + 1 :]]
    assert sum(totals) == 7


@pytest.mark.parametrize(
    ("language", "first_header", "day_header"),
    [
        ("vi", ["Phần", "Nguồn", "Chiến dịch", "ID quảng cáo", "Hội thoại"], "Ngày"),
        ("th", ["ส่วน", "แหล่งที่มา", "แคมเปญ", "รหัสโฆษณา", "การสนทนา"], "วัน"),
        ("ja", ["区分", "流入元", "キャンペーン", "広告ID", "会話"], "日付"),
    ],
)
def test_the_csv_headers_are_in_the_persons_language_and_the_cells_stay_machine_readable(
    tenant_a, owner_a, client_for, activity, language, first_header, day_header
):
    from tenants.models import PersonPreferences

    PersonPreferences.objects.create(user=owner_a, language=language)
    response = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == first_header
    # Codes, plain numbers (a dot for decimals) and ISO days, whatever the language.
    campaign = next(r for r in rows if r[:3] == ["campaign", "tiktok_ad", "Summer sale"])
    assert campaign[4:] == ["3", "1", "33.3"]
    header = next(i for i, r in enumerate(rows) if r and r[0] == day_header)
    assert "Payment" not in rows[header] and "Total" not in rows[header]
    assert all(len(r[0]) == 10 and r[0][4] == "-" for r in rows[header + 1 :])


def test_report_figures_are_written_as_the_persons_language_writes_numbers(
    tenant_a, owner_a, client_for, activity
):
    from tenants.models import PersonPreferences

    html = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/").content.decode()
    assert "<td>33.3 %</td>" in html
    PersonPreferences.objects.create(user=owner_a, language="cs")
    html = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/").content.decode()
    assert "<td>33,3 %</td>" in html and "33.3" not in html


def test_the_demo_dashboard_shows_what_the_fake_tiktok_received(
    tenant_a, owner_a, client_for, activity
):
    html = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/").content.decode()
    assert "What TikTok received" in html
    assert "PARLEY_TEST" in html
    assert "&quot;event&quot;: &quot;Purchase&quot;" in html or '"event": "Purchase"' in html
