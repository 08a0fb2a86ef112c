"""Saved views: personal or shared filter sets, written by one service for every caller."""

import pytest
from django.core.exceptions import PermissionDenied

from inbox.models import SavedView
from inbox.selectors.conversations import ConversationFilters
from inbox.selectors.saved_views import saved_view_list
from inbox.services.saved_views import SavedViewError, saved_view_create, saved_view_delete
from tenants.models import Membership
from tests.factories import LabelFactory

pytestmark = pytest.mark.django_db


def _membership(tenant, user):
    return Membership.objects.select_related("tenant", "user").get(tenant=tenant, user=user)


def test_saved_views_personal_and_shared(tenant_a, agent_a, admin_a, owner_a, client_for):
    vip = LabelFactory(tenant=tenant_a, name="vip")
    base = f"/t/{tenant_a.slug}/inbox/views/"
    agent = client_for(agent_a)
    r = agent.post(base, {"name": "My VIP", "filters": f"label={vip.pk}&status=all"})
    assert r.status_code == 201
    mine = SavedView.objects.get(name="My VIP")
    assert mine.owner == agent_a and not mine.shared
    assert mine.filters == {"status": "all", "label": [str(vip.pk)]}
    assert agent.post(base, {"name": "Team", "shared": "1", "filters": ""}).status_code == 403
    admin = client_for(admin_a)
    assert (
        admin.post(
            base, {"name": "Team", "shared": "1", "filters": "assignee=unassigned"}
        ).status_code
        == 201
    )
    page = agent.get(f"/t/{tenant_a.slug}/inbox/").content.decode()
    assert "My VIP" in page and "Team" in page
    owner_page = client_for(owner_a).get(f"/t/{tenant_a.slug}/inbox/").content.decode()
    assert "My VIP" not in owner_page and "Team" in owner_page
    # Another member's personal view is not found; the owner deletes theirs.
    assert client_for(owner_a).post(f"{base}{mine.pk}/delete/").status_code == 404
    assert agent.post(f"{base}{mine.pk}/delete/").status_code == 204
    # The saved filters apply.
    filters = ConversationFilters.from_querydict(SavedView.objects.get(name="Team").filters)
    assert filters.assignee == "unassigned"


def test_a_view_without_a_name_is_refused_by_the_page_and_the_service(
    tenant_a, agent_a, client_for
):
    response = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/views/", {"name": "   ", "filters": "status=all"}
    )
    assert response.status_code == 400
    with pytest.raises(SavedViewError):
        saved_view_create(
            membership=_membership(tenant_a, agent_a), name=" ", filters=ConversationFilters()
        )
    assert not SavedView.objects.exists()


def test_only_a_manager_may_share_a_view_whoever_calls_the_service(tenant_a, agent_a, admin_a):
    with pytest.raises(PermissionDenied):
        saved_view_create(
            membership=_membership(tenant_a, agent_a),
            name="Everyone's",
            filters=ConversationFilters(),
            shared=True,
        )
    assert not SavedView.objects.exists()
    shared = saved_view_create(
        membership=_membership(tenant_a, admin_a),
        name="Everyone's",
        filters=ConversationFilters(status="pending"),
        shared=True,
    )
    assert shared.shared and shared.owner is None
    assert [v.name for v in saved_view_list(tenant=tenant_a, user=agent_a)] == ["Everyone's"]


def test_a_shared_view_is_deleted_only_by_a_manager_at_either_door(
    tenant_a, agent_a, admin_a, client_for
):
    shared = saved_view_create(
        membership=_membership(tenant_a, admin_a),
        name="Team",
        filters=ConversationFilters(),
        shared=True,
    )
    url = f"/t/{tenant_a.slug}/inbox/views/{shared.pk}/delete/"
    assert client_for(agent_a).post(url).status_code == 403
    with pytest.raises(PermissionDenied):
        saved_view_delete(membership=_membership(tenant_a, agent_a), saved_view=shared)
    assert SavedView.objects.filter(pk=shared.pk).exists()
    assert client_for(admin_a).post(url).status_code == 204
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_the_service_will_not_delete_another_members_personal_view(tenant_a, agent_a, admin_a):
    theirs = saved_view_create(
        membership=_membership(tenant_a, agent_a), name="Mine", filters=ConversationFilters()
    )
    with pytest.raises(PermissionDenied):
        saved_view_delete(membership=_membership(tenant_a, admin_a), saved_view=theirs)
    assert SavedView.objects.filter(pk=theirs.pk).exists()
