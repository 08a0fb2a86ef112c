"""/api/v1/: every app registers its viewsets in its own api_urls.py."""

from django.urls import include, path, re_path

from tenants.api_views import api_not_found

urlpatterns = [
    path("", include("tenants.api_urls")),
    path("", include("inbox.api_urls")),
    path("", include("inbox.commerce.api_urls")),
    path("", include("inbox.automation.api_urls")),
    path("", include("inbox.outbound_webhooks.api_urls")),
    path("", include("signals_app.api_urls")),
    path("", include("reports.api_urls")),
    # Last: an unknown /api/v1/ path answers a JSON 404 in the standard error shape.
    re_path(r"^[\s\S]*$", api_not_found, name="api_not_found"),
]
