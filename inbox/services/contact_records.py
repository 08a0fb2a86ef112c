"""Contacts created and enriched by a CRM through the API (the inbox's own contact edits —
name, phone, email — are `inbox.services.contacts.contact_update`)."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from inbox import effects
from inbox.models import Contact
from inbox.outbound_webhooks.payloads import contact_payload
from inbox.services.contacts import contact_changed


@transaction.atomic
def contact_create(
    *,
    tenant,
    actor=None,
    name: str = "",
    phone: str = "",
    email: str = "",
    notes: str = "",
    custom_attributes: dict | None = None,
) -> Contact:
    """A contact the CRM knows before they write (no channel identity yet)."""
    contact = Contact.objects.create(
        tenant=tenant,
        name=name.strip()[:200],
        phone=phone.strip()[:40],
        email=email.strip(),
        notes=notes,
        custom_attributes=custom_attributes or {},
    )
    effects.webhook_event(
        tenant=tenant, event_type="contact.created", data=partial(contact_payload, contact)
    )
    return contact


@transaction.atomic
def contact_update_details(
    *, contact: Contact, actor=None, notes: str | None = None, custom_attributes=None
) -> Contact:
    """Notes and custom attributes (merged key by key; a null value removes the key)."""
    fields = []
    if notes is not None and notes != contact.notes:
        contact.notes = notes
        fields.append("notes")
    if custom_attributes is not None:
        merged = dict(contact.custom_attributes or {})
        for key, value in custom_attributes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged != contact.custom_attributes:
            contact.custom_attributes = merged
            fields.append("custom_attributes")
    if fields:
        contact.save(update_fields=[*fields, "updated_at"])
        contact_changed(contact)
    return contact
