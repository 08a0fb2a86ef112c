from django.urls import include, path

from inbox import views

urlpatterns = [
    path("", include("inbox.channel_urls")),
    path("t/<slug:tenant_slug>/inbox/", views.inbox, name="inbox"),
]
