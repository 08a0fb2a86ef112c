"""Editing a contact's fields from the contact panel."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_POST

from inbox.services.contacts import ContactEditError, contact_update
from tenants.access import access_contact, tenant_view


@require_POST
@tenant_view("inbox.view")
def contact_edit(request, contact_id):
    contact = access_contact(request.membership, contact_id, write=True)
    changes = {f: request.POST[f] for f in ("name", "phone", "email") if f in request.POST}
    errors = {}
    try:
        contact_update(contact=contact, actor=request.user, **changes)
    except ContactEditError as error:
        errors = error.errors
        contact.refresh_from_db()
    return render(
        request,
        "inbox/_contact_fields.html",
        {"contact": contact, "errors": errors, "can_reply": True, "saved": not errors},
        status=422 if errors else 200,
    )
