"""What orders and bookings share: the conflicts the API answers with 409, who acted, the
CRM event of a change, and the contact/conversation check."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from inbox import effects
from inbox.commerce.models import (
    Order,
)
from inbox.models import Contact, Conversation


class CommerceConflict(Exception):
    """A request that conflicts with the current state (HTTP 409 in the API)."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class TransitionNotAllowed(CommerceConflict):
    pass


class OrderLocked(CommerceConflict):
    pass


class BookingOverlap(CommerceConflict):
    pass


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, or an API key / the system (user None, label set)."""

    user: object = None
    label: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, label="system")

    @property
    def display(self) -> str:
        if self.user is not None:
            return self.user.get_full_name() or self.user.email
        return self.label


def actor_from_request(request) -> Actor:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor(user=user)
    api_key = getattr(request, "auth", None)
    if api_key is not None and hasattr(api_key, "name"):
        return Actor(label=f"API key {api_key.name}")
    return Actor.system()


def _json(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def emit_webhook_event(*, tenant, event_type: str, obj) -> None:
    from inbox.commerce.serializers import BookingSerializer, OrderSerializer

    serializer = OrderSerializer if isinstance(obj, Order) else BookingSerializer
    effects.webhook_event(
        tenant=tenant, event_type=event_type, data=lambda: _json(serializer(obj).data)
    )


def check_contact_conversation(*, tenant, contact: Contact, conversation: Conversation | None):
    if contact.tenant_id != tenant.pk:
        raise ValidationError({"contact": _("Unknown contact.")})
    if conversation is not None and (
        conversation.tenant_id != tenant.pk or conversation.contact_id != contact.pk
    ):
        raise ValidationError({"conversation": _("This conversation is not with this contact.")})


# --- Orders ---------------------------------------------------------------------------------
