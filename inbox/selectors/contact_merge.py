"""Contacts that look like the same person: the merge suggestions of the contact panel."""

from __future__ import annotations

from django.db.models import Q

from inbox.models import Contact, ContactIdentity
from inbox.phone_numbers import search_digits
from inbox.selectors.search import external_id_reversed, phone_digits_reversed


def merge_suggestions(*, contact: Contact, limit: int = 5) -> list[tuple[Contact, str]]:
    """Other contacts of the business sharing this contact's phone number (in any format, or
    as a WhatsApp identity) or email: `(contact, "phone" | "email")`, newest first."""
    tenant = contact.tenant
    others = Contact.objects.for_tenant(tenant).exclude(pk=contact.pk)
    found: dict[int, tuple[Contact, str]] = {}
    digits = search_digits(contact.phone, tenant.country) if contact.phone else ()
    if digits:
        by_phone = Q()
        by_identity = Q()
        for number in digits:
            by_phone |= Q(phone_reversed__startswith=number[::-1])
            by_identity |= Q(external_id_reversed__startswith=number[::-1])
        identity_owners = (
            ContactIdentity.objects.for_tenant(tenant)
            .annotate(external_id_reversed=external_id_reversed())
            .filter(by_identity)
            .values("contact_id")
        )
        matches = others.annotate(phone_reversed=phone_digits_reversed()).filter(
            by_phone | Q(pk__in=identity_owners)
        )
        for other in matches.order_by("-id")[:limit]:
            found[other.pk] = (other, "phone")
    if contact.email:
        for other in others.filter(email__iexact=contact.email).order_by("-id")[:limit]:
            found.setdefault(other.pk, (other, "email"))
    return sorted(found.values(), key=lambda pair: -pair[0].pk)[:limit]
