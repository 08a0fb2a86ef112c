from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "inbox.push"
    label = "push"
    verbose_name = "Web Push notifications"
