from django.urls import include, path

from inbox import views, views_actions, views_live

T = "t/<slug:tenant_slug>/"
C = T + "inbox/c/<int:conversation_id>/"

urlpatterns = [
    path("", include("inbox.channel_urls")),
    path(T + "inbox/", views.inbox, name="inbox"),
    path(T + "inbox/list/", views.conversation_list, name="inbox_list"),
    path(T + "inbox/counts/", views.filter_counts, name="inbox_counts"),
    path(T + "inbox/search/", views.search, name="inbox_search"),
    path(T + "inbox/changes/", views_live.changes, name="inbox_changes"),
    path(T + "inbox/rows/", views_live.rows, name="inbox_rows"),
    path(T + "inbox/bulk/", views_actions.bulk_action, name="inbox_bulk"),
    path(T + "inbox/views/", views_actions.saved_view_create, name="inbox_view_create"),
    path(
        T + "inbox/views/<int:savedview_id>/delete/",
        views_actions.saved_view_delete,
        name="inbox_view_delete",
    ),
    path(C, views.conversation_detail, name="inbox_conversation"),
    path(C + "messages/", views.thread_messages, name="inbox_thread_messages"),
    path(C + "changes/", views_live.thread_since, name="inbox_thread_changes"),
    path(C + "contact/", views.contact_panel, name="inbox_contact_panel"),
    path(C + "assign/", views_actions.conversation_assign, name="inbox_assign"),
    path(C + "status/", views_actions.conversation_status, name="inbox_status"),
    path(C + "priority/", views_actions.conversation_priority, name="inbox_priority"),
    path(C + "labels/", views_actions.conversation_labels, name="inbox_labels"),
    path(C + "unread/", views_actions.conversation_unread, name="inbox_unread"),
    path(C + "reply/", views_actions.conversation_reply, name="inbox_reply"),
    path(
        C + "messages/<int:message_id>/retry/",
        views_actions.message_retry,
        name="inbox_message_retry",
    ),
    path(T + "contacts/<int:contact_id>/edit/", views_actions.contact_edit, name="contact_edit"),
]
