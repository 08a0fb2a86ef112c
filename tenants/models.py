import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from tenants.countries import COUNTRY_CHOICES
from tenants.permissions import ROLE_CHOICES


class Tenant(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC")
    default_language = models.CharField(
        _("default language"),
        max_length=16,
        default="en",
        choices=settings.LANGUAGES,
        help_text=_(
            "For people who have chosen no language and whose browser asks for none we ship."
        ),
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        choices=COUNTRY_CHOICES,
        help_text=_("Phone numbers typed without a country code are read as this country's."),
    )
    agents_see_all = models.BooleanField(
        _("agents see every conversation"),
        default=True,
        help_text=_("When off, agents see only conversations assigned to them or unassigned."),
    )
    agents_see_team = models.BooleanField(
        _("agents also see their teams' conversations"),
        default=False,
        help_text=_(
            "When agents see only their own and unassigned conversations, they also see every "
            "conversation assigned to a team they belong to."
        ),
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        if tenant is None:
            raise ValueError("A tenant is required to query tenant-owned data.")
        return self.filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned model: queries start with `.objects.for_tenant(tenant)`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(default=dj_timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_unique")
        ]

    def __str__(self):
        return f"{self.user} in {self.tenant} as {self.role}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > dj_timezone.now()
        )

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= dj_timezone.now():
            return "expired"
        return "pending"


class ApiKey(models.Model):
    PREFIX = "pk"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    read_only = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    @classmethod
    def generate(cls) -> tuple[str, str]:
        """A new key and its lookup part: `pk_<lookup>_<secret>`."""
        lookup = secrets.token_hex(6)
        return f"{cls.PREFIX}_{lookup}_{secrets.token_urlsafe(32)}", lookup

    @staticmethod
    def hash_key(raw: str) -> str:
        return _hash_token(raw)

    @property
    def masked(self) -> str:
        return f"{self.PREFIX}_{self.lookup}_…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditLog(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_tenant_time")]


class IdempotencyKey(models.Model):
    """A POST's `Idempotency-Key`, claimed before the request runs, holding its answer.

    Unique per (tenant, scope, key): the scope is the API key or the signed-in user, so two
    CRMs of one tenant never collide. Rows older than 24 h are swept (tenants.tasks).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "scope", "key"], name="idempotency_key_unique"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]


class PersonPreferences(models.Model):
    """What one person chose for themselves, the same in every business and on every device."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True, default=""
    )

    def __str__(self):
        return f"{self.user}: {self.language or 'automatic'}"


__all__ = [
    "Tenant",
    "TenantOwnedModel",
    "Membership",
    "Invitation",
    "ApiKey",
    "AuditLog",
    "IdempotencyKey",
    "PersonPreferences",
]
