from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from tenants.language_views import switch_language

urlpatterns = [
    path("", include("tenants.urls")),
    path("", include("inbox.urls")),
    path("", include("inbox.automation.urls")),
    path("", include("inbox.commerce.urls")),
    path("", include("inbox.outbound_webhooks.urls")),
    path("", include("inbox.push.urls")),
    path("", include("signals_app.urls")),
    path("", include("reports.urls")),
    path("language/", switch_language, name="switch_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.SIMULATOR_ENABLED:
    urlpatterns.append(path("", include("inbox.simulator.urls")))
