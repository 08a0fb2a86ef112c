from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "inbox.commerce"
    label = "commerce"
    verbose_name = "Orders and bookings"
