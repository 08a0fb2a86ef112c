"""Canned responses for the composer, each change audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inbox.automation.models import CannedResponse
from tenants.services import audit_log_record


def _shortcut_taken(tenant, shortcut: str, exclude_id: int | None = None) -> bool:
    qs = CannedResponse.objects.for_tenant(tenant).filter(shortcut__iexact=shortcut)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


@transaction.atomic
def canned_response_create(*, tenant, actor, shortcut: str, text: str) -> CannedResponse:
    shortcut = shortcut.strip().lstrip("/")
    if _shortcut_taken(tenant, shortcut):
        raise ValidationError(_("This shortcut is already used."))
    canned = CannedResponse.objects.create(tenant=tenant, shortcut=shortcut, text=text)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.canned.created",
        target=canned,
        details={"shortcut": shortcut},
    )
    return canned


@transaction.atomic
def canned_response_update(
    *, tenant, actor, canned: CannedResponse, shortcut: str, text: str
) -> CannedResponse:
    shortcut = shortcut.strip().lstrip("/")
    if _shortcut_taken(tenant, shortcut, exclude_id=canned.pk):
        raise ValidationError(_("This shortcut is already used."))
    before = canned.shortcut
    canned.shortcut, canned.text = shortcut, text
    canned.save(update_fields=["shortcut", "text", "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.canned.updated",
        target=canned,
        details={"shortcut": shortcut, "before": before},
    )
    return canned


@transaction.atomic
def canned_response_delete(*, tenant, actor, canned: CannedResponse) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="automation.canned.deleted",
        target=canned,
        details={"shortcut": canned.shortcut},
    )
    canned.delete()
