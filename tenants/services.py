"""Writes for tenants, members, invitations and API keys."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from inbox.automation.defaults import comment_rules_ensure_defaults, default_rules_install
from inbox.models import TeamMember
from tenants.countries import country_for_timezone
from tenants.locale import shipped
from tenants.models import ApiKey, AuditLog, Invitation, Membership, Tenant
from tenants.permissions import Role

User = get_user_model()


def audit_log_record(*, tenant, actor, action: str, target=None, details=None) -> AuditLog:
    return AuditLog.objects.create(
        tenant=tenant,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        details=details or {},
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "team"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def tenant_create(
    *,
    name: str,
    owner,
    slug: str | None = None,
    timezone_name: str = "UTC",
    default_language: str | None = None,
) -> Tenant:
    """A new business owned by ``owner``. Its default language is the one given, else the
    language its creator is using Parley in; it starts with Parley's welcome, away and TikTok
    privacy replies written in that language, as disabled rules."""
    tenant = Tenant.objects.create(
        name=name,
        slug=slug or _unique_slug(name),
        timezone=timezone_name,
        country=country_for_timezone(timezone_name),
        default_language=shipped(default_language) or shipped(get_language()) or "en",
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    default_rules_install(tenant=tenant)
    comment_rules_ensure_defaults(tenant=tenant)
    audit_log_record(tenant=tenant, actor=owner, action="tenant.created", target=tenant)
    return tenant


@transaction.atomic
def tenant_update(*, tenant: Tenant, actor, **fields) -> Tenant:
    changed = {k: v for k, v in fields.items() if getattr(tenant, k) != v}
    for key, value in changed.items():
        setattr(tenant, key, value)
    if changed:
        tenant.save(update_fields=list(changed))
        audit_log_record(
            tenant=tenant,
            actor=actor,
            action="tenant.updated",
            target=tenant,
            details={"fields": sorted(changed)},
        )
    return tenant


def _other_owners(membership: Membership) -> bool:
    return (
        Membership.objects.for_tenant(membership.tenant)
        .filter(role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


def _check_may_touch(actor_membership: Membership, target_role: str) -> None:
    if target_role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise ValidationError(_("Only an owner can grant, change or remove the owner role."))


@transaction.atomic
def membership_change_role(
    *, actor_membership: Membership, membership: Membership, role: str
) -> Membership:
    if role not in Role.__members__.values():
        raise ValidationError(_("Unknown role."))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _check_may_touch(actor_membership, membership.role)
    _check_may_touch(actor_membership, role)
    # Lock the tenant's owners so two concurrent demotions cannot both pass the check.
    list(
        Membership.objects.for_tenant(membership.tenant).filter(role=Role.OWNER).select_for_update()
    )
    if membership.role == Role.OWNER and role != Role.OWNER and not _other_owners(membership):
        raise ValidationError(_("The last owner cannot be demoted. Make someone else owner first."))
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_log_record(
        tenant=membership.tenant,
        actor=actor_membership.user,
        action="member.role_changed",
        target=membership,
        details={"user": membership.user.email, "from": old, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor_membership: Membership, membership: Membership) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _check_may_touch(actor_membership, membership.role)
    list(
        Membership.objects.for_tenant(membership.tenant).filter(role=Role.OWNER).select_for_update()
    )
    if membership.role == Role.OWNER and not _other_owners(membership):
        raise ValidationError(_("The last owner cannot be removed."))
    audit_log_record(
        tenant=membership.tenant,
        actor=actor_membership.user,
        action="member.removed",
        target=membership,
        details={"user": membership.user.email, "role": membership.role},
    )
    # Leaving the business means leaving its teams (they are the business's).
    TeamMember.objects.for_tenant(membership.tenant).filter(user_id=membership.user_id).delete()
    membership.delete()


@dataclass(frozen=True)
class CreatedInvitation:
    invitation: Invitation
    token: str

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}/invitations/{self.token}/"


@transaction.atomic
def invitation_create(*, actor_membership: Membership, email: str, role: str) -> CreatedInvitation:
    from tenants.emails import send_invitation_email

    _check_may_touch(actor_membership, role)
    tenant = actor_membership.tenant
    email = email.strip().lower()
    if Membership.objects.for_tenant(tenant).filter(user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member.") % {"email": email})
    # A new invitation replaces any pending one for the same address.
    Invitation.objects.for_tenant(tenant).filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=actor_membership.user,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    created = CreatedInvitation(invitation=invitation, token=token)
    audit_log_record(
        tenant=tenant,
        actor=actor_membership.user,
        action="invitation.created",
        target=invitation,
        details={"email": email, "role": role},
    )
    transaction.on_commit(lambda: send_invitation_email(created))
    return created


def invitation_revoke(*, actor_membership: Membership, invitation: Invitation) -> None:
    if invitation.state != "pending":
        raise ValidationError(_("Only a pending invitation can be revoked."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_log_record(
        tenant=invitation.tenant,
        actor=actor_membership.user,
        action="invitation.revoked",
        target=invitation,
        details={"email": invitation.email},
    )


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("tenant")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise ValidationError(_("This invitation is %(state)s.") % {"state": invitation.state})
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, _created = Membership.objects.get_or_create(
        tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _mark_email_verified(user)
    audit_log_record(
        tenant=invitation.tenant,
        actor=user,
        action="invitation.accepted",
        target=invitation,
        details={"email": invitation.email, "role": membership.role},
    )
    return membership


def user_create(*, email: str, password: str, name: str = "", verified: bool = False):
    email = email.strip().lower()
    user = User.objects.create_user(username=email[:150], email=email, password=password)
    if name:
        user.first_name = name[:150]
        user.save(update_fields=["first_name"])
    if verified:
        _mark_email_verified(user)
    return user


def _mark_email_verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email.lower(), defaults={"verified": True, "primary": True}
    )


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str


def api_key_create(*, tenant: Tenant, name: str, read_only: bool, actor=None) -> CreatedApiKey:
    raw, lookup = ApiKey.generate()
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        lookup=lookup,
        key_hash=ApiKey.hash_key(raw),
        read_only=read_only,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="api_key.created",
        target=api_key,
        details={"name": name, "read_only": read_only},
    )
    return CreatedApiKey(api_key=api_key, raw_key=raw)


def api_key_revoke(*, api_key: ApiKey, actor) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_log_record(
            tenant=api_key.tenant,
            actor=actor,
            action="api_key.revoked",
            target=api_key,
            details={"name": api_key.name},
        )


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key for a raw bearer token, or None. Records when it was last used."""
    import hmac

    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != ApiKey.PREFIX:
        return None
    api_key = ApiKey.objects.select_related("tenant").filter(lookup=parts[1]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, ApiKey.hash_key(raw)):
        return None
    if api_key.revoked_at is not None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
