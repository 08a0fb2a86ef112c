"""Writes on saved views: named filter sets, personal or shared with the whole business.

A personal view belongs to the member who saved it; only a member who may manage the
business's settings shares one with everybody, or deletes a shared one.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from inbox.models import SavedView
from inbox.selectors.conversations import ConversationFilters
from tenants.permissions import has_perm

NAME_MAX_LENGTH = 80
SHARE_PERMISSION = "settings.manage"


class SavedViewError(ValueError):
    """A saved view the service refuses to write (no name)."""


@transaction.atomic
def saved_view_create(
    *, membership, name: str, filters: ConversationFilters, shared: bool = False
) -> SavedView:
    """Save `filters` under `name` for this member, or for everyone when `shared`."""
    name = (name or "").strip()[:NAME_MAX_LENGTH]
    if not name:
        raise SavedViewError(_("Give the view a name."))
    if shared and not has_perm(membership, SHARE_PERMISSION):
        raise PermissionDenied
    return SavedView.objects.create(
        tenant=membership.tenant,
        name=name,
        owner=None if shared else membership.user,
        shared=shared,
        filters=filters.to_querydict(),
    )


@transaction.atomic
def saved_view_delete(*, membership, saved_view: SavedView) -> None:
    """Delete a view: one's own personal view, or a shared one with the permission to share."""
    if saved_view.tenant_id != membership.tenant_id:
        raise PermissionDenied
    if saved_view.shared:
        if not has_perm(membership, SHARE_PERMISSION):
            raise PermissionDenied
    elif saved_view.owner_id != membership.user_id:
        raise PermissionDenied
    saved_view.delete()
