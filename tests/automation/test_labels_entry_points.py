"""Labels follow the same rules whether changed on the labels page or through the REST API:
every change is audited, and deleting a label disables the rules that required it (else
they would suddenly fire for every conversation)."""

import pytest
from django.test import Client
from django.urls import reverse

from inbox.automation import services
from inbox.automation.models import RuleRun
from inbox.models import Label
from keywords import clear_matcher_cache
from tenants.models import AuditLog
from tenants.services import api_key_create
from tests.factories import ConversationFactory, LabelFactory, MessageFactory

pytestmark = pytest.mark.django_db

ENTRY_POINTS = ["browser", "api"]


@pytest.fixture(autouse=True)
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


class LabelsPage:
    """The owner on the automation labels page (HTML forms)."""

    def __init__(self, tenant, owner, client_for):
        self.tenant = tenant
        self.client = client_for(owner)

    def _url(self, name, *args):
        return reverse(name, args=[self.tenant.slug, *args])

    def create(self, name, color="#ff0000"):
        response = self.client.post(self._url("automation_labels"), {"name": name, "color": color})
        assert response.status_code == 302
        return Label.objects.get(tenant=self.tenant, name=name)

    def rename(self, label, name):
        response = self.client.post(
            self._url("automation_label_edit", label.pk), {"name": name, "color": label.color}
        )
        assert response.status_code == 302

    def delete(self, label):
        response = self.client.post(self._url("automation_label_delete", label.pk))
        assert response.status_code == 302


class LabelsApi:
    """A CRM integration with a read-write API key."""

    def __init__(self, tenant):
        raw = api_key_create(tenant=tenant, name="crm", read_only=False).raw_key
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        self.tenant = tenant

    def create(self, name, color="#ff0000"):
        response = self.client.post(
            "/api/v1/labels/", {"name": name, "color": color}, content_type="application/json"
        )
        assert response.status_code == 201, response.content
        return Label.objects.get(pk=response.json()["id"])

    def rename(self, label, name):
        response = self.client.patch(
            f"/api/v1/labels/{label.pk}/", {"name": name}, content_type="application/json"
        )
        assert response.status_code == 200, response.content

    def delete(self, label):
        response = self.client.delete(f"/api/v1/labels/{label.pk}/")
        assert response.status_code == 204, response.content


@pytest.fixture
def labels(request, tenant_a, owner_a, client_for):
    if request.param == "browser":
        return LabelsPage(tenant_a, owner_a, client_for)
    return LabelsApi(tenant_a)


@pytest.mark.parametrize("labels", ENTRY_POINTS, indirect=True)
def test_creating_and_renaming_a_label_is_audited(labels, tenant_a):
    label = labels.create("VIP")
    labels.rename(label, "Very important")
    label.refresh_from_db()
    assert label.name == "Very important"
    created = AuditLog.objects.get(tenant=tenant_a, action="labels.created")
    assert created.details["name"] == "VIP"
    renamed = AuditLog.objects.get(tenant=tenant_a, action="labels.renamed")
    assert renamed.details["before"]["name"] == "VIP"
    assert renamed.details["after"]["name"] == "Very important"


@pytest.mark.parametrize("labels", ENTRY_POINTS, indirect=True)
def test_deleting_a_label_disables_the_rules_that_required_it(labels, tenant_a):
    vip = LabelFactory(tenant=tenant_a, name="VIP")
    rule = services.rule_save(
        tenant=tenant_a,
        actor=None,
        data={"name": "VIP price", "trigger": "keywords", "note_text": "VIP asked the price"},
        keywords=["price"],
    )
    rule.labels_required.set([vip])

    labels.delete(vip)

    rule.refresh_from_db()
    assert not Label.objects.filter(pk=vip.pk).exists()
    assert rule.enabled is False
    deleted = AuditLog.objects.get(tenant=tenant_a, action="labels.deleted")
    assert deleted.details["rules_disabled"] == ["VIP price"]
    assert AuditLog.objects.filter(tenant=tenant_a, action="automation.rule.disabled").exists()
    # A customer without any label asks the price: the VIP-only rule stays silent.
    message = MessageFactory(conversation=ConversationFactory(tenant=tenant_a), text="price?")
    services.automation_run_for_message(message_id=message.pk)
    assert not RuleRun.objects.filter(rule=rule).exists()
