from django.urls import path

from inbox.commerce import views

T = "t/<slug:tenant_slug>/"

urlpatterns = [
    path(
        T + "contacts/<int:contact_id>/commerce/",
        views.contact_panel,
        name="commerce_contact_panel",
    ),
    path(
        T + "contacts/<int:contact_id>/commerce/orders/",
        views.panel_order_create,
        name="commerce_panel_order_create",
    ),
    path(
        T + "contacts/<int:contact_id>/commerce/bookings/",
        views.panel_booking_create,
        name="commerce_panel_booking_create",
    ),
    path(T + "orders/", views.order_list, name="commerce_order_list"),
    path(T + "orders/<int:order_id>/", views.order_detail, name="commerce_order_detail"),
    path(T + "orders/<int:order_id>/edit/", views.order_edit, name="commerce_order_edit"),
    path(
        T + "orders/<int:order_id>/transition/",
        views.order_transition,
        name="commerce_order_transition",
    ),
    path(
        T + "orders/<int:order_id>/send-summary/",
        views.order_send_summary,
        name="commerce_order_send_summary",
    ),
    path(T + "bookings/", views.booking_list, name="commerce_booking_list"),
    path(
        T + "bookings/<int:booking_id>/transition/",
        views.booking_transition,
        name="commerce_booking_transition",
    ),
    path(
        T + "bookings/<int:booking_id>/send-summary/",
        views.booking_send_summary,
        name="commerce_booking_send_summary",
    ),
]
