from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email, validate_slug
from django.db import transaction

from tenants import services
from tenants.models import Membership, Tenant
from tenants.permissions import Role


class Command(BaseCommand):
    help = "Create a tenant and its owner (safe to run twice: an existing one is reused)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--password", required=True)

    @transaction.atomic
    def handle(self, *args, name, slug, owner_email, password, **options):
        try:
            validate_slug(slug)
            validate_email(owner_email)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        user = services.User.objects.filter(email__iexact=owner_email).first()
        if user is None:
            user = services.user_create(email=owner_email, password=password, verified=True)
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = services.tenant_create(name=name, owner=user, slug=slug)
            self.stdout.write(f"Created tenant {slug} owned by {user.email}.")
        else:
            Membership.objects.get_or_create(
                tenant=tenant, user=user, defaults={"role": Role.OWNER}
            )
            self.stdout.write(f"Tenant {slug} already exists; {user.email} is a member.")
