from django.conf import settings
from django.urls import path

from signals_app import views

urlpatterns = [
    path("t/<slug:tenant_slug>/signals/", views.dashboard, name="signals_dashboard"),
    path("t/<slug:tenant_slug>/signals/export.csv", views.export_csv, name="signals_export"),
    path(
        "t/<slug:tenant_slug>/signals/reports/retry/",
        views.reports_retry,
        name="signals_reports_retry",
    ),
    path(
        "t/<slug:tenant_slug>/signals/connection/",
        views.connection_page,
        name="signals_connection",
    ),
    path(
        "t/<slug:tenant_slug>/signals/connection/oauth/",
        views.oauth_start,
        name="signals_oauth_start",
    ),
    path("signals/tiktok/callback/", views.oauth_callback, name="signals_oauth_callback"),
    path(
        "t/<slug:tenant_slug>/signals/connection/event-set/",
        views.event_set_choose,
        name="signals_event_set",
    ),
    path(
        "t/<slug:tenant_slug>/signals/connection/token/",
        views.token_connect,
        name="signals_token_connect",
    ),
    path(
        "t/<slug:tenant_slug>/signals/connection/mapping/",
        views.mapping_update,
        name="signals_mapping",
    ),
    path(
        "t/<slug:tenant_slug>/signals/connection/disconnect/",
        views.disconnect,
        name="signals_disconnect",
    ),
    path("t/<slug:tenant_slug>/signals/keywords/", views.keywords, name="signals_keywords"),
    path(
        "t/<slug:tenant_slug>/signals/keywords/import/",
        views.keywords_import,
        name="signals_keywords_import",
    ),
    path(
        "t/<slug:tenant_slug>/signals/keywords/starting-list/",
        views.keywords_shipped,
        name="signals_keywords_shipped",
    ),
    path(
        "t/<slug:tenant_slug>/signals/keywords/<int:signal_keyword_id>/delete/",
        views.keyword_delete,
        name="signals_keyword_delete",
    ),
]

if settings.SIMULATOR_ENABLED:
    from inbox.simulator.fake_tiktok_ads import MOUNT, fake_api_view

    urlpatterns += [
        path(
            MOUNT.lstrip("/") + "/auth/authorize/",
            views.fake_authorize,
            name="signals_fake_authorize",
        ),
        path(MOUNT.lstrip("/") + "/<path:api_path>", fake_api_view, name="signals_fake_api"),
    ]
