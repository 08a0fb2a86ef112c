"""Contacts created and enriched by a CRM through the API (the inbox's own contact edits —
name, phone, email — are `inbox.services.contacts.contact_update`)."""

from __future__ import annotations

from django.db import transaction

from inbox.models import Contact
from inbox.outbound_webhooks.services import crm_event_emit


def contact_event_data(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "contact_id": contact.pk,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "custom_attributes": contact.custom_attributes,
    }


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
    crm_event_emit(tenant=tenant, event_type="contact.created", data=contact_event_data(contact))
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
        crm_event_emit(
            tenant=contact.tenant, event_type="contact.updated", data=contact_event_data(contact)
        )
    return contact
