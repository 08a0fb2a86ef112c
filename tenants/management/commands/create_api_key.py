from django.core.management.base import BaseCommand, CommandError

from tenants import services
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create an API key for a tenant. The key is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--read-only", action="store_true")

    def handle(self, *args, tenant, name, read_only, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        created = services.api_key_create(tenant=tenant_obj, name=name, read_only=read_only)
        access = "read-only" if read_only else "read-write"
        self.stdout.write(
            f"Created {access} key {name!r} for {tenant}. Store it now; it is shown once:"
        )
        self.stdout.write(created.raw_key)
