"""How the isolation walker makes an object of tenant A for each URL kwarg.

Every URL pattern's object-id kwarg must be listed here: a pattern with an unknown kwarg
fails tests/test_isolation.py, so no endpoint escapes the cross-tenant check.
"""

from tests import factories


def _membership(tenant):
    return factories.MembershipFactory(tenant=tenant, role="agent")


def _invitation(tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.models import Invitation

    return Invitation.objects.create(
        tenant=tenant,
        email="invitee@example.com",
        role="agent",
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )


def _api_key(tenant):
    from tenants.services import api_key_create

    return api_key_create(tenant=tenant, name="walker", read_only=False).api_key


def _order(tenant):
    from tests.commerce.factories import make_order

    return make_order(tenant=tenant)


def _booking(tenant):
    from tests.commerce.factories import make_booking

    return make_booking(tenant=tenant)


KWARG_FACTORIES = {
    "membership_id": _membership,
    "invitation_id": _invitation,
    "apikey_id": _api_key,
    "channel_id": lambda tenant: factories.ChannelFactory(tenant=tenant),
    "contact_id": lambda tenant: factories.ContactFactory(tenant=tenant),
    "conversation_id": lambda tenant: factories.ConversationFactory(tenant=tenant),
    "message_id": lambda tenant: factories.MessageFactory(
        conversation=factories.ConversationFactory(tenant=tenant)
    ),
    "label_id": lambda tenant: factories.LabelFactory(tenant=tenant),
    "order_id": lambda tenant: _order(tenant),
    "booking_id": lambda tenant: _booking(tenant),
}

# Kwargs that are not object ids of a tenant (tokens, slugs handled by the walker itself).
NON_OBJECT_KWARGS = {"tenant_slug", "token"}
