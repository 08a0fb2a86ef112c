from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("tenants.urls")),
    path("", include("inbox.urls")),
    path("", include("inbox.automation.urls")),
    path("", include("inbox.commerce.urls")),
    path("", include("inbox.outbound_webhooks.urls")),
    path("", include("signals_app.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.SIMULATOR_ENABLED:
    urlpatterns.append(path("", include("inbox.simulator.urls")))
