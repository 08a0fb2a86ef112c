"""An ad referral that arrives on its own (before the customer writes) is attributed and, with
TikTok Ads connected, queues the conversation's "conversation started" signal once."""

import pytest

from inbox.models import Conversation
from signals_app.connection import token_connect
from signals_app.models import SignalReport

pytestmark = pytest.mark.django_db


def test_a_tiktok_ad_referral_alone_queues_conversation_started_once(
    tenant_a, tiktok_channel, post_webhook
):
    token_connect(
        tenant=tenant_a,
        actor=None,
        event_set_id="7300000000000000999",
        access_token=f"evt.token-of-{tenant_a.slug}",
        simulated=True,
    )
    assert post_webhook("tiktok", "im_referral_msg_ad").status_code == 200
    conversation = Conversation.objects.for_tenant(tenant_a).get()
    assert conversation.source == Conversation.Source.TIKTOK_AD and conversation.ad_id
    reports = SignalReport.objects.filter(conversation=conversation)
    assert [r.signal for r in reports] == ["conversation_started"]

    post_webhook("tiktok", "im_referral_msg_ad")  # redelivered
    assert SignalReport.objects.filter(conversation=conversation).count() == 1


def test_the_inbox_campaign_filter_finds_a_tiktok_ad_by_its_ad_id(
    tenant_a, owner_a, tiktok_channel, post_webhook
):
    from inbox.selectors.conversations import ConversationFilters, conversation_queryset
    from tenants.models import Membership

    post_webhook("tiktok", "im_referral_msg_ad")
    conversation = Conversation.objects.for_tenant(tenant_a).get()
    found = conversation_queryset(
        tenant=tenant_a,
        user=owner_a,
        membership=Membership.objects.get(user=owner_a, tenant=tenant_a),
        filters=ConversationFilters(status="all", campaign_id=conversation.ad_id),
    )
    assert list(found) == [conversation]
