from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "inbox.crm"
    label = "crm"
    verbose_name = "CRM webhooks"
