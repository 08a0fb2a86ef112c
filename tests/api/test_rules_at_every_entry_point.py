"""One rule, every door: the browser and the API refuse the same things, the same way."""

import pytest

from inbox.models import Conversation, Message
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

VIEWER_REFUSAL = "can only view the inbox, so cannot be assigned conversations"


@pytest.fixture
def conversation(tenant_a, agent_a):
    return ConversationFactory(tenant=tenant_a, assignee=agent_a)


def _unchanged(conversation, assignee):
    conversation.refresh_from_db()
    return (
        conversation.assignee_id == assignee.pk
        and not Message.objects.filter(conversation=conversation, kind="activity").exists()
    )


def test_the_api_refuses_to_assign_a_conversation_to_a_viewer(
    key_api, conversation, agent_a, viewer_a
):
    refused = key_api.post(
        f"/api/v1/conversations/{conversation.pk}/assign/", {"assignee": viewer_a.pk}
    )
    assert refused.status_code == 422  # fits the schema, refused by a rule
    error = refused.json()["error"]
    assert error["code"] == "unprocessable"
    assert VIEWER_REFUSAL in error["details"]["assignee"][0]
    assert _unchanged(conversation, agent_a)


def test_a_signed_in_api_user_gets_the_same_refusal(
    session_api, conversation, owner_a, agent_a, viewer_a
):
    refused = session_api(owner_a).post(
        f"/api/v1/conversations/{conversation.pk}/assign/", {"assignee": viewer_a.pk}
    )
    assert refused.status_code == 422
    assert VIEWER_REFUSAL in refused.json()["error"]["details"]["assignee"][0]
    assert _unchanged(conversation, agent_a)


def test_the_browser_refuses_to_assign_a_conversation_to_a_viewer_with_a_message(
    client_for, tenant_a, conversation, agent_a, viewer_a
):
    response = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/assign/", {"assignee": str(viewer_a.pk)}
    )
    assert response.status_code == 422
    assert VIEWER_REFUSAL in response.content.decode()
    assert _unchanged(conversation, agent_a)


def test_bulk_assignment_to_a_viewer_is_refused_and_changes_nothing(
    client_for, tenant_a, conversation, agent_a, viewer_a
):
    other = ConversationFactory(tenant=tenant_a, assignee=None)
    response = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/bulk/",
        {"action": "assign", "value": str(viewer_a.pk), "ids": [conversation.pk, other.pk]},
    )
    assert response.status_code == 400
    assert VIEWER_REFUSAL in response.json()["error"]
    assert not Conversation.objects.filter(assignee=viewer_a).exists()


def test_both_doors_refuse_a_person_from_another_business_alike(
    client_for, key_api, tenant_a, conversation, agent_a, owner_b
):
    api = key_api.post(f"/api/v1/conversations/{conversation.pk}/assign/", {"assignee": owner_b.pk})
    browser = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/assign/", {"assignee": str(owner_b.pk)}
    )
    assert api.status_code == 422 and browser.status_code == 422
    refusal = "That person is not a member of this business."
    assert api.json()["error"]["details"]["assignee"] == [refusal]
    assert refusal in browser.content.decode()
    assert _unchanged(conversation, agent_a)


def test_both_doors_still_assign_a_member_who_may_reply(
    client_for, key_api, tenant_a, conversation, agent_a, admin_a
):
    api = key_api.post(f"/api/v1/conversations/{conversation.pk}/assign/", {"assignee": admin_a.pk})
    assert api.status_code == 200 and api.json()["assignee"]["id"] == admin_a.pk
    browser = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/assign/", {"assignee": "me"}
    )
    assert browser.status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == agent_a
