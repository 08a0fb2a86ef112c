"""/api/v1/: every app registers its viewsets in its own api_urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("tenants.api_urls")),
    path("", include("inbox.api_urls")),
    path("", include("inbox.commerce.api_urls")),
    path("", include("inbox.crm.api_urls")),
    path("", include("signals_app.api_urls")),
]
