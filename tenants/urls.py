from django.urls import path

from tenants import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tenants/new/", views.tenant_create, name="tenant_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("t/<slug:tenant_slug>/settings/", views.tenant_settings, name="tenant_settings"),
    path("t/<slug:tenant_slug>/settings/members/", views.member_list, name="member_list"),
    path(
        "t/<slug:tenant_slug>/settings/members/<int:membership_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "t/<slug:tenant_slug>/settings/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "t/<slug:tenant_slug>/settings/invitations/",
        views.invitation_create,
        name="invitation_create",
    ),
    path(
        "t/<slug:tenant_slug>/settings/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("t/<slug:tenant_slug>/settings/api-keys/", views.api_key_list, name="api_key_list"),
    path(
        "t/<slug:tenant_slug>/settings/api-keys/<int:apikey_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
]
