"""Recompute a tenant's report rollups from the raw rows (all tenants without --tenant).

python manage.py reports_rebuild [--tenant SLUG]
"""

from django.core.management.base import BaseCommand

from reports.services import report_tenant_rebuild
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Recompute the report rollups of a tenant (or of every tenant) from the raw rows."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's slug (default: every tenant)")

    def handle(self, *args, tenant=None, **options):
        tenants = Tenant.objects.all()
        if tenant:
            tenants = tenants.filter(slug=tenant)
        for t in tenants.order_by("pk"):
            n = report_tenant_rebuild(tenant=t)
            self.stdout.write(f"{t.slug}: {n} conversations")
