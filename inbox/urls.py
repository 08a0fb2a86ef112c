from django.urls import path

from inbox import views

urlpatterns = [
    path("t/<slug:tenant_slug>/inbox/", views.inbox, name="inbox"),
]
