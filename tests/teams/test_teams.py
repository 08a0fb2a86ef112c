"""Managing teams (settings page and API), queueing conversations to a team (thread, bulk bar,
API, CRM payload) and round-robin within a team (automation), fair under concurrency."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections, connection

from inbox.models import Conversation, Message, Team
from inbox.services.teams import conversation_assign_round_robin, team_create
from tenants.models import AuditLog
from tests.automation.test_rules import inbound, make_rule, run
from tests.factories import ConversationFactory, MembershipFactory

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_owners_create_teams_and_pick_members_on_the_settings_page(
    tenant_a, owner_a, agent_a, viewer_a, client_for
):
    client = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/settings/teams/"
    response = client.post(url, {"name": "Sales VN", "members": [str(agent_a.pk)]})
    assert response.status_code == 302
    team = Team.objects.get(tenant=tenant_a)
    assert team.name == "Sales VN"
    assert list(team.members.values_list("user_id", flat=True)) == [agent_a.pk]
    assert AuditLog.objects.filter(tenant=tenant_a, action="team.created").count() == 1
    page = client.get(url).content.decode()
    assert "Sales VN" in page
    # A viewer cannot answer conversations, so is not offered as a member.
    assert f'value="{viewer_a.pk}"' not in page
    taken = client.post(url, {"name": "sales vn"})
    assert taken.status_code == 422 and "exists already" in taken.content.decode()

    edit = f"{url}{team.pk}/"
    client.post(edit, {"name": "Sales Vietnam", "members": [str(owner_a.pk)]})
    team.refresh_from_db()
    assert team.name == "Sales Vietnam"
    assert list(team.members.values_list("user_id", flat=True)) == [owner_a.pk]
    client.post(f"{edit}delete/")
    assert not Team.objects.filter(pk=team.pk).exists()


@pytest.mark.django_db
def test_agents_cannot_manage_teams(tenant_a, agent_a, client_for):
    team = team_create(tenant=tenant_a, actor=None, name="Sales")
    client = client_for(agent_a)
    assert client.get(f"/t/{tenant_a.slug}/settings/teams/").status_code == 403
    assert client.post(f"/t/{tenant_a.slug}/settings/teams/{team.pk}/delete/").status_code == 403
    assert Team.objects.filter(pk=team.pk).exists()


@pytest.mark.django_db
def test_teams_through_the_api(tenant_a, agent_a, viewer_a, key_api, session_api):
    created = key_api.post("/api/v1/teams/", {"name": "Support", "member_ids": [agent_a.pk]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Support" and body["member_ids"] == [agent_a.pk]
    refused = key_api.post("/api/v1/teams/", {"name": "Night", "member_ids": [viewer_a.pk]})
    assert refused.status_code == 422
    clash = key_api.post("/api/v1/teams/", {"name": "support"})
    assert clash.status_code == 409
    url = f"/api/v1/teams/{body['id']}/"
    assert key_api.patch(url, {"member_ids": []}).json()["member_ids"] == []
    # An agent reads teams but may not change them.
    agent_api = session_api(agent_a)
    assert agent_api.get("/api/v1/teams/").status_code == 200
    assert agent_api.patch(url, {"name": "x"}).status_code == 403
    assert key_api.delete(url).status_code == 204


@pytest.mark.django_db
def test_a_conversation_is_queued_to_a_team_from_the_thread_bulk_and_api(
    tenant_a, agent_a, tenant_b, client_for, key_api, webhook_events
):
    sales = team_create(tenant=tenant_a, actor=None, name="Sales")
    foreign = team_create(tenant=tenant_b, actor=None, name="Theirs")
    one = ConversationFactory(tenant=tenant_a, assignee=agent_a)
    two = ConversationFactory(tenant=tenant_a)
    client = client_for(agent_a)
    base = f"/t/{tenant_a.slug}/inbox/"
    assert client.post(f"{base}c/{one.pk}/team/", {"team": sales.pk}).status_code == 200
    one.refresh_from_db()
    assert one.team_id == sales.pk and one.assignee_id == agent_a.pk  # the agent stays
    activity = Message.objects.filter(conversation=one, kind="activity").last()
    assert "Sales" in activity.text
    assert client.post(f"{base}c/{one.pk}/team/", {"team": foreign.pk}).status_code == 404
    done = client.post(base + "bulk/", {"ids": [two.pk], "action": "team", "value": sales.pk})
    assert done.json()["done"] == 1
    two.refresh_from_db()
    assert two.team_id == sales.pk

    response = key_api.post(f"/api/v1/conversations/{two.pk}/team/", {"team": None})
    assert response.status_code == 200 and response.json()["team"] is None
    response = key_api.post(f"/api/v1/conversations/{two.pk}/team/", {"team": foreign.pk})
    assert response.status_code == 422
    listed = key_api.get("/api/v1/conversations/", {"team": sales.pk}).json()["results"]
    assert [c["id"] for c in listed] == [one.pk]
    assert listed[0]["team"] == {"id": sales.pk, "name": "Sales"}

    updates = [data for _t, kind, data in webhook_events if kind == "conversation.updated"]
    assert {"id": sales.pk, "name": "Sales"} in [u["team"] for u in updates]
    assert updates[-1]["id"] == two.pk and updates[-1]["team"] is None


@pytest.mark.django_db
def test_an_automation_rule_hands_a_teams_conversations_out_in_turn(
    tenant_a, agent_a, admin_a, viewer_a
):
    sales = team_create(tenant=tenant_a, actor=None, name="Sales", member_ids=[agent_a.pk])
    sales.members.create(tenant=tenant_a, user=admin_a)
    sales.members.create(tenant=tenant_a, user=viewer_a)  # cannot reply: never chosen
    make_rule(
        tenant_a, name="To sales", reply_text="", assign="team_round_robin", assign_team=sales
    )
    assignees = []
    for i in range(4):
        conversation = ConversationFactory(tenant=tenant_a, last_customer_message_at=NOW)
        run(inbound(conversation, "price", at=NOW + timedelta(seconds=i)))
        conversation.refresh_from_db()
        assert conversation.team_id == sales.pk
        assignees.append(conversation.assignee_id)
    first, second = sorted([agent_a.pk, admin_a.pk])
    assert assignees == [first, second, first, second]
    activity = Message.objects.filter(kind="activity", conversation__team=sales).first()
    assert "Sales" in activity.text


@pytest.mark.django_db
def test_the_rule_form_needs_a_team_for_team_round_robin(tenant_a, owner_a, client_for):
    from inbox.automation.forms import RuleForm

    form = RuleForm(
        data={
            "name": "x",
            "trigger": "welcome",
            "assign": "team_round_robin",
            "cooldown_minutes": 0,
        },
        tenant=tenant_a,
    )
    assert not form.is_valid()
    assert "assign_team" in form.errors


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_fair_when_conversations_arrive_at_once(tenant_a):
    members = [MembershipFactory(tenant=tenant_a, role="agent").user for _ in range(4)]
    team = team_create(tenant=tenant_a, actor=None, name="Rush", member_ids=[m.pk for m in members])
    conversations = [ConversationFactory(tenant=tenant_a) for _ in range(8)]
    barrier = threading.Barrier(len(conversations))
    errors = []

    def assign(conversation_id):
        try:
            barrier.wait(timeout=10)
            conversation = Conversation.objects.select_related("tenant").get(pk=conversation_id)
            conversation_assign_round_robin(conversation=conversation, team=team)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(c.pk,)) for c in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()
    assert errors == []
    assignees = list(
        Conversation.objects.filter(pk__in=[c.pk for c in conversations]).values_list(
            "assignee_id", flat=True
        )
    )
    # Eight conversations at once, four members: each member got exactly two.
    assert sorted(assignees) == sorted([m.pk for m in members] * 2)
