"""Team visibility on every inbox query and endpoint: the list, list pages, counts and team
queues, search, the thread, live catch-up, bulk actions, the API and the websocket all apply
`visible_conversations` — own, no agent, and (when the business says so) their teams'."""

import re
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from inbox.realtime import broadcast
from inbox.routing import websocket_urlpatterns
from inbox.services.teams import team_create
from tests.factories import ChannelFactory, ContactFactory, ConversationFactory, MessageFactory

MOMENT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SINCE = "2026-11-20T09:00:00+00:00"
WORD = "zebrafinch"


def _world(tenant, agent, admin):
    sales = team_create(tenant=tenant, actor=None, name="Sales", member_ids=[agent.pk, admin.pk])
    support = team_create(tenant=tenant, actor=None, name="Support", member_ids=[admin.pk])
    channel = ChannelFactory(tenant=tenant)
    convs = {}
    for key, assignee, team in [
        ("mine", agent, None),
        ("free", None, None),
        ("team_mate", admin, sales),  # a teammate's conversation in agent's team
        ("other_team", admin, support),
        ("others", admin, None),
    ]:
        contact = ContactFactory(tenant=tenant, name=f"{key} person")
        conv = ConversationFactory(
            tenant=tenant,
            channel=channel,
            contact=contact,
            assignee=assignee,
            team=team,
            last_message_at=MOMENT,
        )
        MessageFactory(conversation=conv, text=f"{WORD} {key}")
        convs[key] = conv
    return sales, support, convs


def _restrict(tenant, *, team: bool):
    tenant.agents_see_all = False
    tenant.agents_see_team = team
    tenant.save(update_fields=["agents_see_all", "agents_see_team"])


def _row_ids(html: bytes) -> set[int]:
    return {int(i) for i in re.findall(rb'id="conv-(\d+)"', html)}


def _count(html: bytes, key: str) -> int:
    found = re.search(
        rb'data-filter="' + key.encode() + rb'"[^>]*>[^<]*<span class="count"[^>]*>(\d+)', html
    )
    assert found, f"no count for {key}"
    return int(found.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize("team_setting", [True, False])
def test_every_inbox_door_shows_an_agent_the_same_conversations(
    tenant_a, agent_a, admin_a, client_for, team_setting
):
    sales, support, convs = _world(tenant_a, agent_a, admin_a)
    _restrict(tenant_a, team=team_setting)
    visible_keys = {"mine", "free"} | ({"team_mate"} if team_setting else set())
    visible = {convs[k].pk for k in visible_keys}
    hidden = {c.pk for c in convs.values()} - visible
    client = client_for(agent_a)
    base = f"/t/{tenant_a.slug}/inbox/"

    # The page, the list's pages, and a team queue as a filter.
    assert _row_ids(client.get(base, {"status": "all"}).content) == visible
    assert _row_ids(client.get(base + "list/", {"status": "all"}).content) == visible
    sales_queue = _row_ids(client.get(base + "list/", {"status": "all", "team": sales.pk}).content)
    assert sales_queue == ({convs["team_mate"].pk} if team_setting else set())
    assert _row_ids(client.get(base + "list/", {"team": support.pk}).content) == set()

    # Counts beside the filters, team queues included (the agent's team only).
    counts = client.get(base + "counts/").content
    assert _count(counts, "assignee:all") == len(visible)
    assert _count(counts, f"team:{sales.pk}") == (1 if team_setting else 0)
    assert f'data-filter="team:{support.pk}"'.encode() not in counts

    # Search over the whole history.
    found = client.get(base + "search/", {"q": WORD}).content
    assert {int(i) for i in re.findall(rb'data-conversation="(\d+)"', found)} == visible

    # The thread and its actions.
    for pk in visible:
        assert client.get(f"{base}c/{pk}/", HTTP_HX_REQUEST="true").status_code == 200
    for pk in hidden:
        assert client.get(f"{base}c/{pk}/", HTTP_HX_REQUEST="true").status_code == 404
        assert client.post(f"{base}c/{pk}/status/", {"status": "resolved"}).status_code == 404
        assert client.post(f"{base}c/{pk}/team/", {"team": "none"}).status_code == 404

    # Live catch-up.
    changed = client.get(base + "changes/", {"since": SINCE}).json()["conversation_ids"]
    assert set(changed) == visible
    every = ",".join(str(c.pk) for c in convs.values())
    assert _row_ids(client.get(base + "rows/", {"ids": every, "status": "all"}).content) == visible

    # Bulk actions touch only what the agent sees.
    every_id = [str(c.pk) for c in convs.values()]
    done = client.post(base + "bulk/", {"ids": every_id, "action": "priority", "value": "3"})
    assert set(done.json()["ids"]) == visible

    # The API, signed in as the agent.
    api = Client()
    api.force_login(agent_a)
    listed = api.get("/api/v1/conversations/", HTTP_X_PARLEY_TENANT=tenant_a.slug).json()
    assert {c["id"] for c in listed["results"]} == visible
    for pk in hidden:
        detail = api.get(f"/api/v1/conversations/{pk}/", HTTP_X_PARLEY_TENANT=tenant_a.slug)
        assert detail.status_code == 404


@pytest.mark.django_db
def test_owners_see_every_team_queue_and_agents_only_their_own(
    tenant_a, owner_a, agent_a, admin_a, client_for
):
    sales, support, convs = _world(tenant_a, agent_a, admin_a)
    owner_counts = client_for(owner_a).get(f"/t/{tenant_a.slug}/inbox/counts/").content
    assert _count(owner_counts, f"team:{sales.pk}") == 1
    assert _count(owner_counts, f"team:{support.pk}") == 1
    agent_counts = client_for(agent_a).get(f"/t/{tenant_a.slug}/inbox/counts/").content
    assert f'data-filter="team:{sales.pk}"'.encode() in agent_counts
    assert f'data-filter="team:{support.pk}"'.encode() not in agent_counts


@pytest.mark.django_db
def test_leaving_the_business_means_leaving_its_teams(tenant_a, owner_a, agent_a, admin_a):
    from tenants.models import Membership
    from tenants.services import membership_remove

    sales, _support, convs = _world(tenant_a, agent_a, admin_a)
    _restrict(tenant_a, team=True)
    membership_remove(
        actor_membership=Membership.objects.get(tenant=tenant_a, user=owner_a),
        membership=Membership.objects.get(tenant=tenant_a, user=agent_a),
    )
    assert not sales.members.filter(user=agent_a).exists()


@pytest.mark.django_db(transaction=True)
def test_the_websocket_drops_hints_about_other_teams(tenant_a, agent_a, admin_a):
    _sales, _support, convs = _world(tenant_a, agent_a, admin_a)
    _restrict(tenant_a, team=True)

    async def run():
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/t/{tenant_a.slug}/inbox/"
        )
        communicator.scope["user"] = agent_a
        connected, _code = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["event"] == "hello"
        for key in ("other_team", "team_mate"):
            await database_sync_to_async(broadcast)(
                tenant_id=tenant_a.pk,
                event="conversation.updated",
                data={"id": convs[key].pk},
            )
        message = await communicator.receive_json_from(timeout=2)
        assert message["conversation_id"] == convs["team_mate"].pk
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()

    async_to_sync(run)()


@pytest.mark.django_db
@pytest.mark.parametrize("team_setting", [True, False])
def test_push_notifications_follow_the_team_rule(tenant_a, agent_a, admin_a, team_setting):
    from inbox.push.models import NotificationSetting, PushSubscription
    from inbox.push.selectors import push_recipients

    _sales, _support, convs = _world(tenant_a, agent_a, admin_a)
    _restrict(tenant_a, team=team_setting)
    PushSubscription.objects.create(
        tenant=tenant_a,
        user=agent_a,
        endpoint="https://push.example.com/agent",
        p256dh="k",
        auth="a",
    )
    # "Every conversation I can see": what they hear is what visibility lets them see.
    NotificationSetting.objects.create(tenant=tenant_a, user=agent_a, scope="all")

    def hears(key):
        users = {
            s.user_id for _setting, subs in push_recipients(conversation=convs[key]) for s in subs
        }
        return agent_a.pk in users

    assert hears("free")
    assert hears("team_mate") is team_setting
    assert not hears("other_team")
