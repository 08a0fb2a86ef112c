from celery import shared_task

from inbox import effects
from inbox.outbound_webhooks import services


@shared_task(name=effects.OUTBOUND_WEBHOOK_DELIVER, ignore_result=True)
def webhook_deliver_task(delivery_id: int) -> None:
    services.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="crm.deliveries_sweep", ignore_result=True)
def webhook_deliveries_sweep_task() -> int:
    return services.webhook_deliveries_sweep()
