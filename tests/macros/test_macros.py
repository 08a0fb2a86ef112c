"""Macros: defined by owners and admins (page and API), run by agents from the conversation,
the bulk bar and the API; each action shows in the thread as run by the macro; a macro that
partly fails names the failed action and leaves the others done."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.automation.models import CannedResponse, Macro
from inbox.automation.services.macros import MacroError, macro_save
from inbox.models import Message
from inbox.services.teams import team_create
from tenants.models import AuditLog
from tests.factories import ChannelFactory, ConversationFactory, LabelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(tenant_a, agent_a):
    channel = ChannelFactory(tenant=tenant_a, provider="whatsapp", settings={"simulator": True})
    paid = LabelFactory(tenant=tenant_a, name="paid")
    sales = team_create(tenant=tenant_a, actor=None, name="Fulfilment", member_ids=[agent_a.pk])
    thanks = CannedResponse.objects.create(tenant=tenant_a, shortcut="thanks", text="Thank you!")
    open_window = ConversationFactory(
        tenant=tenant_a, channel=channel, last_customer_message_at=timezone.now()
    )
    # WhatsApp's 24-hour window closed long ago: a reply is refused.
    closed_window = ConversationFactory(
        tenant=tenant_a,
        channel=channel,
        last_customer_message_at=timezone.now() - timedelta(days=30),
    )
    return {
        "paid": paid,
        "team": sales,
        "thanks": thanks,
        "open": open_window,
        "closed": closed_window,
    }


def _paid_macro(tenant, shop):
    return macro_save(
        tenant=tenant,
        actor=None,
        name="Paid",
        actions=[
            {"type": "label_add", "value": str(shop["paid"].pk)},
            {"type": "assign_team", "value": str(shop["team"].pk)},
            {"type": "canned_response", "value": str(shop["thanks"].pk)},
            {"type": "priority", "value": "3"},
            {"type": "note", "value": "Paid by bank transfer"},
            {"type": "status", "value": "resolved"},
        ],
    )


def test_owners_define_macros_on_the_page_and_agents_may_not(
    tenant_a, owner_a, agent_a, client_for, shop
):
    client = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/automation/macros/new/"
    assert "Fulfilment" in client.get(url).content.decode()  # the team is offered
    response = client.post(
        url,
        {
            "name": "Paid",
            "action_0": f"label_add:{shop['paid'].pk}",
            "action_1": "note:",
            "text_1": "Check the transfer",
            "action_2": "",
            "action_3": "status:resolved",
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get(tenant=tenant_a)
    assert macro.actions == [
        {"type": "label_add", "value": str(shop["paid"].pk)},
        {"type": "note", "value": "Check the transfer"},
        {"type": "status", "value": "resolved"},
    ]
    assert AuditLog.objects.filter(action="automation.macro.created").count() == 1
    listing = client.get(f"/t/{tenant_a.slug}/automation/macros/").content.decode()
    assert "Add label paid" in listing
    empty_note = client.post(url, {"name": "Broken", "action_0": "note:", "text_0": ""})
    assert empty_note.status_code == 422
    agent = client_for(agent_a)
    assert agent.get(f"/t/{tenant_a.slug}/automation/macros/").status_code == 403
    assert agent.post(f"/t/{tenant_a.slug}/automation/macros/{macro.pk}/delete/").status_code == 403


def test_a_macro_may_not_name_another_business_s_objects(tenant_a, tenant_b):
    foreign = LabelFactory(tenant=tenant_b, name="theirs")
    with pytest.raises(MacroError):
        macro_save(
            tenant=tenant_a,
            actor=None,
            name="x",
            actions=[{"type": "label_add", "value": str(foreign.pk)}],
        )


def test_an_agent_runs_a_macro_from_the_conversation(tenant_a, agent_a, client_for, shop):
    macro = _paid_macro(tenant_a, shop)
    conversation = shop["open"]
    url = f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/macro/"
    response = client_for(agent_a).post(url, {"macro": macro.pk})
    assert response.status_code == 200
    assert "6 actions done" in response.content.decode()
    conversation.refresh_from_db()
    assert list(conversation.labels.all()) == [shop["paid"]]
    assert conversation.team == shop["team"]
    assert conversation.priority == 3 and conversation.status == "resolved"
    thread = Message.objects.filter(conversation=conversation).order_by("pk")
    reply = thread.get(kind="message", direction="out")
    assert reply.text == "Thank you!" and reply.metadata["macro"] == "Paid"
    note = thread.get(kind="note")
    assert note.text == "Paid by bank transfer" and note.author_user == agent_a
    by_macro = [m for m in thread if m.metadata.get("macro") == "Paid"]
    # label, team, reply, priority, note, status, and the summary line: each run by the macro
    assert len(by_macro) == 7
    assert "macro “Paid”" in response.content.decode()


def test_a_macro_that_partly_fails_names_the_failed_action_and_keeps_the_others(
    tenant_a, agent_a, client_for, shop
):
    macro = _paid_macro(tenant_a, shop)
    conversation = shop["closed"]
    url = f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/macro/"
    response = client_for(agent_a).post(url, {"macro": macro.pk})
    text = response.content.decode()
    assert "5 of 6 actions done" in text
    assert "3. Send canned response /thanks" in text
    conversation.refresh_from_db()
    assert list(conversation.labels.all()) == [shop["paid"]]
    assert conversation.team == shop["team"] and conversation.priority == 3
    assert conversation.status == "resolved"
    assert not Message.objects.filter(conversation=conversation, kind="message", direction="out")
    summary = Message.objects.filter(conversation=conversation, kind="activity").last()
    assert "failed" in summary.text and "/thanks" in summary.text

    # A label deleted since the macro was written: that action fails, the rest run.
    shop["paid"].delete()
    again = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/c/{shop['open'].pk}/macro/", {"macro": macro.pk}
    )
    assert "The label no longer exists." in again.content.decode()
    shop["open"].refresh_from_db()
    assert shop["open"].status == "resolved"


def test_an_agent_runs_a_macro_from_the_bulk_bar(tenant_a, agent_a, client_for, shop):
    macro = _paid_macro(tenant_a, shop)
    response = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/bulk/",
        {"ids": [shop["open"].pk, shop["closed"].pk], "action": "macro", "value": macro.pk},
    )
    body = response.json()
    assert body["done"] == 1
    assert [f["id"] for f in body["failed"]] == [shop["closed"].pk]
    assert "/thanks" in body["message"]
    for conversation in (shop["open"], shop["closed"]):
        conversation.refresh_from_db()
        assert conversation.status == "resolved"


def test_macros_through_the_api(tenant_a, agent_a, key_api, session_api, shop):
    actions = [
        {"type": "label_add", "value": str(shop["paid"].pk)},
        {"type": "canned_response", "value": str(shop["thanks"].pk)},
        {"type": "status", "value": "pending"},
    ]
    created = key_api.post("/api/v1/macros/", {"name": "Follow up", "actions": actions})
    assert created.status_code == 201, created.content
    macro_id = created.json()["id"]
    assert created.json()["actions"] == actions
    bogus = key_api.post("/api/v1/macros/", {"name": "x", "actions": [{"type": "explode"}]})
    assert bogus.status_code == 400
    assert key_api.post("/api/v1/macros/", {"name": "y", "actions": []}).status_code == 422
    # Agents read and run macros, but do not write them.
    agent = session_api(agent_a)
    assert agent.get("/api/v1/macros/").status_code == 200
    assert agent.patch(f"/api/v1/macros/{macro_id}/", {"name": "z"}).status_code == 403
    run = agent.post(f"/api/v1/macros/{macro_id}/run/", {"conversation": shop["closed"].pk})
    assert run.status_code == 200, run.content
    body = run.json()
    assert body["ok"] is False
    assert [(a["position"], a["ok"]) for a in body["actions"]] == [(1, True), (2, False), (3, True)]
    assert body["actions"][1]["error"]
    shop["closed"].refresh_from_db()
    assert shop["closed"].status == "pending"


def test_a_restricted_agent_cannot_run_a_macro_on_a_hidden_conversation(
    tenant_a, agent_a, admin_a, session_api, client_for, shop
):
    tenant_a.agents_see_all = False
    tenant_a.save(update_fields=["agents_see_all"])
    hidden = shop["open"]
    hidden.assignee = admin_a
    hidden.save(update_fields=["assignee"])
    macro = _paid_macro(tenant_a, shop)
    run = session_api(agent_a).post(f"/api/v1/macros/{macro.pk}/run/", {"conversation": hidden.pk})
    assert run.status_code == 422
    page = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/inbox/c/{hidden.pk}/macro/", {"macro": macro.pk}
    )
    assert page.status_code == 404
    hidden.refresh_from_db()
    assert hidden.status == "open"


def test_a_macro_sends_a_whatsapp_template_when_the_window_has_closed(
    tenant_a, agent_a, client_for, shop
):
    from inbox.models import MessageTemplate

    conversation = shop["closed"]
    template = MessageTemplate.objects.create(
        tenant=tenant_a,
        channel=conversation.channel,
        name="payment_received",
        language="en_US",
        status="approved",
        components=[{"type": "BODY", "text": "Thanks {{1}}, we got your payment."}],
        variable_map={"body.1": "contact.first_name"},
    )
    unmapped = MessageTemplate.objects.create(
        tenant=tenant_a,
        channel=conversation.channel,
        name="free_text",
        language="en_US",
        status="approved",
        components=[{"type": "BODY", "text": "Note: {{1}}"}],
    )
    macro = macro_save(
        tenant=tenant_a,
        actor=None,
        name="Follow up",
        actions=[
            {"type": "template", "value": str(template.pk)},
            {"type": "template", "value": str(unmapped.pk)},
            {"type": "status", "value": "pending"},
        ],
    )
    url = f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/macro/"
    text = client_for(agent_a).post(url, {"macro": macro.pk}).content.decode()
    assert "2 of 3 actions done" in text and "free_text" in text
    sent = Message.objects.get(
        conversation=conversation, metadata__template__name="payment_received"
    )
    first_name = conversation.contact.name.split(" ")[0]
    assert sent.text == f"Thanks {first_name}, we got your payment."
    assert sent.metadata["macro"] == "Follow up"
    conversation.refresh_from_db()
    assert conversation.status == "pending"
