from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        # api registers the OpenAPI auth scheme; locale reads the person's language at sign-in.
        from tenants import api, locale  # noqa: F401
