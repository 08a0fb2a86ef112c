from django.apps import AppConfig


class OutboundWebhooksConfig(AppConfig):
    name = "inbox.outbound_webhooks"
    label = "crm"
    verbose_name = "Outbound webhooks"
