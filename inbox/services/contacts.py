"""Writes on contacts: the agent edits a contact's name, phone and email."""

from __future__ import annotations

import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Contact
from inbox.outbound_webhooks.payloads import contact_payload

log = logging.getLogger(__name__)

EDITABLE_FIELDS = ("name", "phone", "email")


class ContactEditError(ValueError):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _clean_phone(value: str) -> str:
    value = " ".join((value or "").split())
    allowed = set("+0123456789 -().")
    if value and (not set(value) <= allowed or sum(c.isdigit() for c in value) < 5):
        raise ValidationError(_("Enter a phone number (digits, spaces, + - ( ) .)."))
    return value[:40]


@transaction.atomic
def contact_update(*, contact: Contact, actor, **changes) -> Contact:
    """Update some of name / phone / email, validated; announced through `contact_changed`."""
    errors, fields = {}, []
    for field, value in changes.items():
        if field not in EDITABLE_FIELDS:
            raise TypeError(f"contact_update() got an unexpected field {field!r}")
        value = (value or "").strip()
        try:
            if field == "phone":
                value = _clean_phone(value)
            elif field == "email" and value:
                validate_email(value)
            elif field == "name":
                value = value[:200]
        except ValidationError as error:
            errors[field] = " ".join(error.messages)
            continue
        if getattr(contact, field) != value:
            setattr(contact, field, value)
            fields.append(field)
    if errors:
        raise ContactEditError(errors)
    if not fields:
        return contact
    contact.save(update_fields=[*fields, "updated_at"])
    contact_changed(contact)
    return contact


def contact_changed(contact: Contact) -> None:
    """The contact changed: a `contact.updated` webhook event (written in this transaction)
    and, after commit, a live-update hint to the agents' pages."""
    effects.webhook_event(
        tenant=contact.tenant, event_type="contact.updated", data=partial(contact_payload, contact)
    )
    effects.live_hint(tenant_id=contact.tenant_id, event="contact.updated", contact_id=contact.pk)
