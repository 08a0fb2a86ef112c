from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "inbox.automation"
    label = "automation"
    verbose_name = "Automation"
