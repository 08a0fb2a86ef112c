from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenants.models import Membership
from tenants.services import invitation_create, membership_change_role, membership_remove
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _m(user, tenant):
    return Membership.objects.get(user=user, tenant=tenant)


def _invite(owner, tenant, email="new@example.com", role="agent"):
    return invitation_create(actor_membership=_m(owner, tenant), email=email, role=role)


def test_a_new_person_accepts_an_invitation_and_lands_in_the_inbox(
    client, tenant_a, owner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = _invite(owner_a, tenant_a)
    assert created.url in mail.outbox[0].body
    response = client.post(
        f"/invitations/{created.token}/",
        {"name": "Nina", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )
    assert response.status_code == 302 and response.url == f"/t/{tenant_a.slug}/inbox/"
    membership = Membership.objects.get(tenant=tenant_a, user__email="new@example.com")
    assert membership.role == "agent"
    assert client.get(response.url).status_code == 200


def test_an_existing_user_signs_in_then_accepts(
    client_for, client, tenant_a, owner_a, tenant_b, owner_b
):
    created = _invite(owner_a, tenant_a, email=owner_b.email, role="viewer")
    page = client.get(f"/invitations/{created.token}/")
    assert b"Sign in to accept" in page.content
    signed_in = client_for(owner_b)
    response = signed_in.post(f"/invitations/{created.token}/")
    assert response.status_code == 302
    assert _m(owner_b, tenant_a).role == "viewer"
    assert _m(owner_b, tenant_b).role == "owner"  # still owner of B: one person, two tenants


def test_someone_else_cannot_use_an_invitation(client_for, tenant_a, owner_a):
    created = _invite(owner_a, tenant_a, email="right@example.com")
    stranger = UserFactory(email="wrong@example.com")
    client_for(stranger).post(f"/invitations/{created.token}/")
    assert not Membership.objects.filter(user=stranger, tenant=tenant_a).exists()


def test_expired_and_revoked_invitations_are_refused(client, client_for, tenant_a, owner_a):
    expired = _invite(owner_a, tenant_a, email="late@example.com")
    expired.invitation.expires_at = timezone.now() - timedelta(minutes=1)
    expired.invitation.save()
    assert client.get(f"/invitations/{expired.token}/").status_code == 410

    revoked = _invite(owner_a, tenant_a, email="gone@example.com")
    client_for(owner_a).post(
        f"/t/{tenant_a.slug}/settings/invitations/{revoked.invitation.pk}/revoke/"
    )
    response = client.post(
        f"/invitations/{revoked.token}/",
        {"password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )
    assert response.status_code == 410
    assert not Membership.objects.filter(tenant=tenant_a, user__email="gone@example.com").exists()


def test_an_unknown_invitation_token_is_404(client):
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_the_last_owner_can_neither_leave_nor_be_demoted(tenant_a, owner_a):
    me = _m(owner_a, tenant_a)
    with pytest.raises(ValidationError):
        membership_change_role(actor_membership=me, membership=me, role="admin")
    with pytest.raises(ValidationError):
        membership_remove(actor_membership=me, membership=me)
    assert _m(owner_a, tenant_a).role == "owner"


def test_with_a_second_owner_the_first_can_step_down(tenant_a, owner_a, admin_a):
    me = _m(owner_a, tenant_a)
    membership_change_role(actor_membership=me, membership=_m(admin_a, tenant_a), role="owner")
    membership_change_role(actor_membership=me, membership=me, role="admin")
    assert _m(owner_a, tenant_a).role == "admin"


def test_an_admin_cannot_touch_owners(tenant_a, owner_a, admin_a, agent_a):
    admin = _m(admin_a, tenant_a)
    with pytest.raises(ValidationError):
        membership_remove(actor_membership=admin, membership=_m(owner_a, tenant_a))
    with pytest.raises(ValidationError):
        membership_change_role(
            actor_membership=admin, membership=_m(agent_a, tenant_a), role="owner"
        )
    membership_change_role(actor_membership=admin, membership=_m(agent_a, tenant_a), role="viewer")
    assert _m(agent_a, tenant_a).role == "viewer"


@pytest.mark.parametrize("who,status", [("admin_a", 200), ("agent_a", 403), ("viewer_a", 403)])
def test_member_pages_by_role(request, client_for, tenant_a, owner_a, who, status):
    user = request.getfixturevalue(who)
    assert client_for(user).get(f"/t/{tenant_a.slug}/settings/members/").status_code == status


def test_an_agent_cannot_invite(client_for, tenant_a, agent_a):
    response = client_for(agent_a).post(
        f"/t/{tenant_a.slug}/settings/invitations/", {"email": "x@example.com", "role": "admin"}
    )
    assert response.status_code == 403


def test_signup_creates_a_business_owned_by_the_new_user(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "founder@example.com",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
            "business_name": "Founder Shop",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="founder@example.com")
    assert membership.role == "owner" and membership.tenant.name == "Founder Shop"


def test_failed_logins_are_rate_limited(client, owner_a):
    for _ in range(6):
        client.post("/accounts/login/", {"login": owner_a.email, "password": "wrong"})
    # Even the right password is refused while the limit holds.
    response = client.post(
        "/accounts/login/", {"login": owner_a.email, "password": "pw-for-tests-1"}
    )
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_the_tenant_setting_for_agent_visibility_is_editable(client_for, tenant_a, owner_a):
    response = client_for(owner_a).post(
        f"/t/{tenant_a.slug}/settings/",
        {"name": "A", "timezone": "Asia/Ho_Chi_Minh", "default_language": "vi"},
    )
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.agents_see_all is False and tenant_a.timezone == "Asia/Ho_Chi_Minh"
