from django.urls import include, path

from inbox.views import contacts, conversation_actions, conversation_list, live, saved_views, thread

T = "t/<slug:tenant_slug>/"
C = T + "inbox/c/<int:conversation_id>/"

urlpatterns = [
    path("", include("inbox.channel_urls")),
    path(T + "inbox/", conversation_list.inbox, name="inbox"),
    path(T + "inbox/list/", conversation_list.conversation_list, name="inbox_list"),
    path(T + "inbox/counts/", conversation_list.filter_counts, name="inbox_counts"),
    path(T + "inbox/search/", conversation_list.search, name="inbox_search"),
    path(T + "inbox/changes/", live.changes, name="inbox_changes"),
    path(T + "inbox/rows/", live.rows, name="inbox_rows"),
    path(T + "inbox/bulk/", conversation_actions.bulk_action, name="inbox_bulk"),
    path(T + "inbox/views/", saved_views.saved_view_create_view, name="inbox_view_create"),
    path(
        T + "inbox/views/<int:savedview_id>/delete/",
        saved_views.saved_view_delete_view,
        name="inbox_view_delete",
    ),
    path(C, thread.conversation_detail, name="inbox_conversation"),
    path(C + "messages/", thread.thread_messages, name="inbox_thread_messages"),
    path(C + "changes/", live.thread_since, name="inbox_thread_changes"),
    path(C + "contact/", thread.contact_panel, name="inbox_contact_panel"),
    path(C + "assign/", conversation_actions.conversation_assign, name="inbox_assign"),
    path(C + "status/", conversation_actions.conversation_status, name="inbox_status"),
    path(C + "priority/", conversation_actions.conversation_priority, name="inbox_priority"),
    path(C + "labels/", conversation_actions.conversation_labels, name="inbox_labels"),
    path(C + "unread/", conversation_actions.conversation_unread, name="inbox_unread"),
    path(C + "reply/", conversation_actions.conversation_reply, name="inbox_reply"),
    path(
        C + "messages/<int:message_id>/retry/",
        conversation_actions.message_retry,
        name="inbox_message_retry",
    ),
    path(T + "contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
]
