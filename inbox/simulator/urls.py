from django.urls import path, re_path

from . import views

urlpatterns = [
    re_path(r"^simulator/api/(?P<rest>.*)$", views.fake_api, name="simulator_api"),
    path("simulator/tiktok/authorize/", views.tiktok_authorize, name="simulator_tiktok_authorize"),
    path("t/<slug:tenant_slug>/simulator/", views.simulator_page, name="simulator_page"),
    path(
        "t/<slug:tenant_slug>/simulator/failures/",
        views.simulator_failures,
        name="simulator_failures",
    ),
]
