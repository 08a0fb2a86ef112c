"""Merging two contacts from the contact panel: pick the other contact, choose which values
win, merge (one transaction, `inbox.services.contact_merge`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inbox.selectors.contact_merge import merge_suggestions
from inbox.selectors.search import contact_search
from inbox.services.contact_merge import (
    MERGE_FIELDS,
    ContactMergeConflict,
    ContactMergeError,
    contact_merge,
)
from tenants.access import access_contact, tenant_view

FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email"),
    "avatar_url": gettext_lazy("Picture"),
    "notes": gettext_lazy("Notes"),
    "custom_attributes": gettext_lazy("Custom attributes"),
}


def _choices(keep, other) -> list[dict]:
    """The fields on which the two contacts differ and both have a value: the agent picks."""
    rows = []
    for field in MERGE_FIELDS:
        mine, theirs = getattr(keep, field), getattr(other, field)
        if mine and theirs and mine != theirs:
            rows.append(
                {"field": field, "label": FIELD_LABELS[field], "keep": mine, "other": theirs}
            )
    return rows


def _conversation_id(request) -> str:
    value = request.POST.get("c") or request.GET.get("c") or ""
    return value if value.isdigit() else ""


@tenant_view("inbox.view")
def contact_merge_view(request, contact_id):
    keep = access_contact(request.membership, contact_id, write=True)
    other_id = request.POST.get("other") or request.GET.get("other") or ""
    other = None
    if other_id:
        other = access_contact(request.membership, other_id, write=True)
        if other.pk == keep.pk:
            raise Http404
    conversation_id = _conversation_id(request)
    error, status = "", 200
    if request.method == "POST" and other is not None:
        prefer = [f for f in request.POST.getlist("prefer_other") if f in MERGE_FIELDS]
        try:
            contact_merge(keep=keep, other=other, actor=request.user, prefer_other=prefer)
        except ContactMergeConflict as exc:
            error, status = str(exc), 409
        except ContactMergeError as exc:
            error, status = str(exc), 422
        else:
            messages.success(
                request, _("Contacts merged into %(name)s.") % {"name": keep.name or keep.pk}
            )
            target = f"/t/{request.tenant.slug}/inbox/"
            if conversation_id:
                target += f"?status=all&c={conversation_id}"
            return redirect(target)
    query = (request.GET.get("q") or "").strip()[:200]
    found = [c for c in contact_search(tenant=request.tenant, query=query) if c.pk != keep.pk]
    return render(
        request,
        "inbox/contact_merge.html",
        {
            "keep": keep,
            "other": other,
            "choices": _choices(keep, other) if other else [],
            "suggestions": merge_suggestions(contact=keep),
            "query": query,
            "found": found if query else [],
            "conversation_id": conversation_id,
            "error": error,
        },
        status=status,
    )
