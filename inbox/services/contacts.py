"""Writes on contacts: the agent edits a contact's name, phone and email."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from inbox.models import Contact

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
    """Update some of name / phone / email, validated; broadcast and emit on commit."""
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
    tenant = contact.tenant
    data = {"id": contact.pk, "contact_id": contact.pk, **{f: getattr(contact, f) for f in fields}}

    def send():
        from inbox.outbound_webhooks.services import crm_event_emit
        from inbox.realtime import broadcast

        try:
            broadcast(tenant_id=tenant.pk, event="contact.updated", data={"contact_id": contact.pk})
        except Exception:
            log.warning("broadcast contact.updated failed", exc_info=True)
        crm_event_emit(tenant=tenant, event_type="contact.updated", data=data)

    transaction.on_commit(send)
    return contact
