import pytest

from inbox.models import Conversation
from signals_app.demo import seed_signals
from signals_app.models import SignalReport, TikTokAdsConnection

pytestmark = pytest.mark.django_db


def test_the_demo_connects_to_the_fake_and_is_safe_to_run_twice(tenant_a, owner_a, client_for):
    seed_signals(tenant_a)
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.status == "connected" and connection.simulated
    conversations = Conversation.objects.filter(tenant=tenant_a).count()
    reports = SignalReport.objects.filter(tenant=tenant_a)
    assert reports.filter(status="sent").count() > 20
    assert not reports.filter(status="pending").exists()
    assert reports.exclude(tracking_id="").exists()
    assert Conversation.objects.filter(tenant=tenant_a, source="tiktok_ad").exists()
    seed_signals(tenant_a)
    assert Conversation.objects.filter(tenant=tenant_a).count() == conversations
    page = client_for(owner_a).get(f"/t/{tenant_a.slug}/signals/")
    assert b"Summer sale" in page.content
