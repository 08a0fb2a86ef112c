from django.urls import path

from inbox.consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/t/<slug:tenant_slug>/inbox/", InboxConsumer.as_asgi()),
]
