from django.urls import path

from inbox.ingest.views import provider_webhook
from inbox.views import (
    attachments,
    channels,
    comments,
    contact_merge,
    contacts,
    conversation_actions,
    conversation_list,
    live,
    saved_views,
    teams,
    templates,
    thread,
    webhook_events,
)

T = "t/<slug:tenant_slug>/"
C = T + "inbox/c/<int:conversation_id>/"

urlpatterns = [
    path("webhooks/<slug:provider>/", provider_webhook, name="provider_webhook"),
    path(T + "settings/channels/", channels.channel_list, name="channel_list"),
    path(
        T + "settings/channels/<int:channel_id>/disconnect/",
        channels.channel_disconnect_view,
        name="channel_disconnect",
    ),
    path(
        T + "settings/channels/<int:channel_id>/csat/",
        channels.channel_csat_view,
        name="channel_csat",
    ),
    path(
        T + "settings/channels/<int:channel_id>/templates/",
        templates.channel_templates_page,
        name="channel_templates",
    ),
    path(
        T + "settings/channels/<int:channel_id>/templates/sync/",
        templates.channel_templates_sync,
        name="channel_templates_sync",
    ),
    path(
        T + "settings/channels/<int:channel_id>/templates/<int:template_id>/",
        templates.channel_template_configure,
        name="channel_template_configure",
    ),
    path(
        T + "settings/channels/<slug:provider>/", channels.channel_connect, name="channel_connect"
    ),
    path(T + "settings/teams/", teams.team_list_view, name="team_list"),
    path(T + "settings/teams/<int:team_id>/", teams.team_edit_view, name="team_edit"),
    path(T + "settings/teams/<int:team_id>/delete/", teams.team_delete_view, name="team_delete"),
    path(
        "channels/<slug:provider>/callback/",
        channels.channel_oauth_callback,
        name="channel_oauth_callback",
    ),
    path(
        T + "attachments/<int:attachment_id>/",
        attachments.attachment_media,
        name="attachment_media",
    ),
    path(
        T + "posts/<int:post_id>/thumbnail/",
        attachments.post_thumbnail,
        name="post_thumbnail",
    ),
    path("ops/webhook-events/", webhook_events.webhook_event_list, name="webhook_event_list"),
    path(
        "ops/webhook-events/<int:webhook_event_id>/reprocess/",
        webhook_events.webhook_event_reprocess_view,
        name="webhook_event_reprocess",
    ),
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
    path(C + "team/", conversation_actions.conversation_team, name="inbox_team"),
    path(C + "macro/", conversation_actions.conversation_macro, name="inbox_macro"),
    path(C + "status/", conversation_actions.conversation_status, name="inbox_status"),
    path(C + "priority/", conversation_actions.conversation_priority, name="inbox_priority"),
    path(C + "labels/", conversation_actions.conversation_labels, name="inbox_labels"),
    path(C + "unread/", conversation_actions.conversation_unread, name="inbox_unread"),
    path(C + "reply/", conversation_actions.conversation_reply, name="inbox_reply"),
    path(C + "template/", templates.template_send_view, name="inbox_template_send"),
    path(C + "template/fields/", templates.template_fields, name="inbox_template_fields"),
    path(
        C + "messages/<int:message_id>/retry/",
        conversation_actions.message_retry,
        name="inbox_message_retry",
    ),
    path(
        C + "comments/<int:comment_id>/<slug:action>/",
        comments.comment_action,
        name="inbox_comment_action",
    ),
    path(T + "contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path(
        T + "contacts/<int:contact_id>/merge/",
        contact_merge.contact_merge_view,
        name="contact_merge",
    ),
]
