from django.urls import path

from . import views

urlpatterns = [
    path("simulator/api/<path:rest>", views.fake_api, name="simulator_api"),
    path("simulator/tiktok/authorize/", views.tiktok_authorize, name="simulator_tiktok_authorize"),
    path("simulator/zalo/authorize/", views.zalo_authorize, name="simulator_zalo_authorize"),
    path("t/<slug:tenant_slug>/simulator/", views.simulator_page, name="simulator_page"),
    path(
        "t/<slug:tenant_slug>/simulator/failures/",
        views.simulator_failures,
        name="simulator_failures",
    ),
]
