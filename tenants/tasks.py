from celery import shared_task

from tenants.idempotency import idempotency_sweep


@shared_task(name="tenants.idempotency_sweep")
def idempotency_sweep_task() -> int:
    return idempotency_sweep()
