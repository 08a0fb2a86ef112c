from celery import shared_task

from tenants.models import AuditLog


@shared_task(name="inbox.ping_database")
def ping_database(tenant_id: int, action: str) -> None:
    """A health check for operators and tests: proves a worker reaches the database."""
    AuditLog.objects.create(tenant_id=tenant_id, action=action)
