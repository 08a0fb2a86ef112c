from django.apps import AppConfig


class SignalsConfig(AppConfig):
    name = "signals_app"
    verbose_name = "TikTok signals"
