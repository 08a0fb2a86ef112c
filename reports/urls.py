from django.urls import path

from reports import views
from reports.tables import DIMENSIONS

urlpatterns = [
    path("t/<slug:tenant_slug>/reports/", views.overview, name="reports_overview"),
    path("t/<slug:tenant_slug>/reports/live/", views.live_page, name="reports_live"),
    path("t/<slug:tenant_slug>/reports/live/panel/", views.live_panel, name="reports_live_panel"),
]
for _dimension in DIMENSIONS:
    urlpatterns += [
        path(
            f"t/<slug:tenant_slug>/reports/{_dimension}s/",
            views.breakdown_view(_dimension),
            name=f"reports_{_dimension}",
        ),
        path(
            f"t/<slug:tenant_slug>/reports/{_dimension}s/export.csv",
            views.breakdown_export(_dimension),
            name=f"reports_{_dimension}_csv",
        ),
    ]
