"""Merging two contacts of a business into one (the same person on TikTok and on WhatsApp).

Everything that points at the merged contact moves to the kept one — identities,
conversations (with their messages, private notes and labels), orders, bookings, and any
other row of any app that references a contact — in ONE transaction. Both rows are locked
in id order first (`SELECT … FOR UPDATE … ORDER BY id`), so two agents merging the same
pair at once (either way round) queue: the first merges, the second finds one of the two
gone and gets a clear error; nothing is lost. One audit entry, one `contact.merged` CRM event.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Contact
from inbox.outbound_webhooks.payloads import contact_payload
from tenants.services import audit_log_record

# The fields an agent may take from the merged contact instead of the kept one.
MERGE_FIELDS = ("name", "phone", "email", "avatar_url", "notes", "custom_attributes")


class ContactMergeError(ValueError):
    """A merge the rules refuse (the same contact twice, another business's contact)."""


class ContactMergeConflict(ContactMergeError):
    """One of the two contacts is gone: another merge took it first."""


@dataclass(frozen=True)
class MergeResult:
    contact: Contact
    merged_id: int
    moved: dict[str, int]


def merged_payload(contact: Contact, merged_id: int) -> dict:
    """`contact.merged`: the kept contact as `contact.updated` shows it, and the merged id."""
    return {**contact_payload(contact), "merged_id": merged_id}


def _merged_fields(keep: Contact, other: Contact, prefer_other: set[str]) -> list[str]:
    """Set the kept contact's fields: its own values win, empty ones are filled from the
    other contact, and the fields in `prefer_other` take the other's value (when it has one)."""
    changed = []
    for field in ("name", "phone", "email", "avatar_url"):
        mine, theirs = getattr(keep, field), getattr(other, field)
        value = theirs if (field in prefer_other and theirs) or not mine else mine
        if value != mine:
            setattr(keep, field, value)
            changed.append(field)
    notes = keep.notes
    if "notes" in prefer_other and other.notes:
        notes = other.notes
    elif other.notes and other.notes.strip() not in keep.notes:
        notes = f"{keep.notes}\n\n{other.notes}".strip()
    if notes != keep.notes:
        keep.notes = notes
        changed.append("notes")
    mine, theirs = dict(keep.custom_attributes or {}), dict(other.custom_attributes or {})
    attributes = {**mine, **theirs} if "custom_attributes" in prefer_other else {**theirs, **mine}
    if attributes != mine:
        keep.custom_attributes = attributes
        changed.append("custom_attributes")
    return changed


def _move_references(keep: Contact, other: Contact) -> dict[str, int]:
    """Point every row that references `other` at `keep` (every app's foreign keys)."""
    moved = {}
    for relation in Contact._meta.related_objects:
        if not relation.one_to_many:
            raise ContactMergeError(f"Cannot merge through {relation!r}")  # none exist today
        model, field = relation.related_model, relation.field.name
        count = model._base_manager.filter(**{field: other}).update(**{field: keep})
        if count:
            moved[model._meta.label_lower] = count
    return moved


@transaction.atomic
def contact_merge(
    *, keep: Contact, other: Contact, actor, prefer_other: list[str] | tuple = ()
) -> MergeResult:
    """Merge `other` into `keep`; `other` is deleted. `prefer_other`: fields of MERGE_FIELDS
    for which the other contact's value wins."""
    if keep.pk == other.pk:
        raise ContactMergeError(_("Choose two different contacts to merge."))
    if keep.tenant_id != other.tenant_id:
        raise ContactMergeError(_("That contact is not one of this business's."))
    unknown = set(prefer_other) - set(MERGE_FIELDS)
    if unknown:
        raise ContactMergeError(_("Unknown field: %s") % ", ".join(sorted(unknown)))
    locked = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update()
        .filter(tenant_id=keep.tenant_id, pk__in=[keep.pk, other.pk])
        .order_by("pk")
    }
    if len(locked) < 2:
        raise ContactMergeConflict(
            _(
                "One of these contacts was just merged or deleted by someone else. "
                "Nothing was changed: reload and try again."
            )
        )
    keep, other = locked[keep.pk], locked[other.pk]
    changed = _merged_fields(keep, other, set(prefer_other))
    moved = _move_references(keep, other)
    if changed:
        keep.save(update_fields=[*changed, "updated_at"])
    merged_id = other.pk
    audit_log_record(
        tenant=keep.tenant,
        actor=actor,
        action="contact.merged",
        target=keep,
        details={
            "kept_id": keep.pk,
            "merged_id": merged_id,
            "merged_name": other.name,
            "fields_from_merged": changed,
            "moved": moved,
        },
    )
    other.delete()
    effects.webhook_event(
        tenant=keep.tenant,
        event_type="contact.merged",
        data=partial(merged_payload, keep, merged_id),
    )
    effects.live_hint(tenant_id=keep.tenant_id, event="contact.updated", contact_id=keep.pk)
    return MergeResult(contact=keep, merged_id=merged_id, moved=moved)
