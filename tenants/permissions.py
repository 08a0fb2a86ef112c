"""The permission matrix: which role may do what. docs/permissions.md states the same table."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


ROLE_CHOICES = [
    (Role.OWNER.value, _("Owner")),
    (Role.ADMIN.value, _("Admin")),
    (Role.AGENT.value, _("Agent")),
    (Role.VIEWER.value, _("Viewer")),
]

ALL = frozenset(Role)
STAFF = frozenset({Role.OWNER, Role.ADMIN, Role.AGENT})
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})

MATRIX: dict[str, frozenset[Role]] = {
    "inbox.view": ALL,
    "inbox.reply": STAFF,
    "commerce.view": ALL,
    "commerce.edit": STAFF,
    "labels.manage": MANAGERS,
    "automation.manage": MANAGERS,
    "channels.manage": MANAGERS,
    "members.manage": MANAGERS,
    "teams.manage": MANAGERS,
    "apikeys.manage": MANAGERS,
    "settings.manage": MANAGERS,
    "webhooks.manage": MANAGERS,
    "audit.view": MANAGERS,
    "signals.view": frozenset({Role.OWNER, Role.ADMIN, Role.VIEWER}),
    "signals.manage": MANAGERS,
    "owners.manage": frozenset({Role.OWNER}),
    # Everyone opens the reports; an agent's figures are limited to their own (reports.views).
    "reports.view": ALL,
}


def has_perm(membership_or_role, perm: str) -> bool:
    role = getattr(membership_or_role, "role", membership_or_role)
    try:
        allowed = MATRIX[perm]
    except KeyError:
        raise KeyError(f"Unknown permission {perm!r}") from None
    return role in allowed
