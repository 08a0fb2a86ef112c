from django.urls import path

from inbox import channel_views as views
from inbox.ingest.views import provider_webhook

urlpatterns = [
    path("webhooks/<slug:provider>/", provider_webhook, name="provider_webhook"),
    path("t/<slug:tenant_slug>/settings/channels/", views.channel_list, name="channel_list"),
    path(
        "t/<slug:tenant_slug>/settings/channels/<int:channel_id>/disconnect/",
        views.channel_disconnect_view,
        name="channel_disconnect",
    ),
    path(
        "t/<slug:tenant_slug>/settings/channels/<slug:provider>/",
        views.channel_connect,
        name="channel_connect",
    ),
    path(
        "channels/<slug:provider>/callback/",
        views.channel_oauth_callback,
        name="channel_oauth_callback",
    ),
    path(
        "t/<slug:tenant_slug>/attachments/<int:attachment_id>/",
        views.attachment_media,
        name="attachment_media",
    ),
    path("ops/webhook-events/", views.webhook_event_list, name="webhook_event_list"),
    path(
        "ops/webhook-events/<int:webhook_event_id>/reprocess/",
        views.webhook_event_reprocess_view,
        name="webhook_event_reprocess",
    ),
]
