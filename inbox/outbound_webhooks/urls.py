from django.urls import path

from inbox.outbound_webhooks import views

urlpatterns = [
    path("t/<slug:tenant_slug>/settings/webhooks/", views.webhook_list, name="webhook_list"),
    path(
        "t/<slug:tenant_slug>/settings/webhooks/<int:webhooksubscription_id>/",
        views.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "t/<slug:tenant_slug>/settings/webhooks/<int:webhooksubscription_id>/toggle/",
        views.webhook_toggle,
        name="webhook_toggle",
    ),
    path(
        "t/<slug:tenant_slug>/settings/webhooks/<int:webhooksubscription_id>/rotate-secret/",
        views.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path(
        "t/<slug:tenant_slug>/settings/webhooks/<int:webhooksubscription_id>/delete/",
        views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "t/<slug:tenant_slug>/settings/webhooks/deliveries/<int:webhookdelivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
