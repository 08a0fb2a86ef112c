from django.urls import path

from . import views

T = "t/<slug:tenant_slug>/notifications/"

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="pwa_manifest"),
    path("sw.js", views.service_worker, name="pwa_service_worker"),
    path("offline/", views.offline, name="pwa_offline"),
    path(T, views.notification_settings, name="push_settings"),
    path(T + "subscriptions/", views.subscription_create, name="push_subscription_create"),
    path(T + "subscriptions/delete/", views.subscription_delete, name="push_subscription_delete"),
]
