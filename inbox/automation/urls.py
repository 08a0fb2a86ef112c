from django.urls import path

from inbox.automation import comment_views, macro_views, views

P = "t/<slug:tenant_slug>/automation/"

urlpatterns = [
    path(P, views.rule_list, name="automation_rules"),
    path(P + "rules/new/", views.rule_create, name="automation_rule_create"),
    path(P + "rules/<int:rule_id>/", views.rule_edit, name="automation_rule_edit"),
    path(P + "rules/<int:rule_id>/toggle/", views.rule_toggle, name="automation_rule_toggle"),
    path(P + "rules/<int:rule_id>/move/", views.rule_move, name="automation_rule_move"),
    path(
        P + "rules/<int:rule_id>/duplicate/",
        views.rule_duplicate,
        name="automation_rule_duplicate",
    ),
    path(P + "rules/<int:rule_id>/delete/", views.rule_delete, name="automation_rule_delete"),
    path(P + "comments/", comment_views.comment_rule_list, name="automation_comment_rules"),
    path(
        P + "comments/new/",
        comment_views.comment_rule_create,
        name="automation_comment_rule_create",
    ),
    path(
        P + "comments/<int:comment_rule_id>/",
        comment_views.comment_rule_edit,
        name="automation_comment_rule_edit",
    ),
    path(
        P + "comments/<int:comment_rule_id>/toggle/",
        comment_views.comment_rule_toggle,
        name="automation_comment_rule_toggle",
    ),
    path(P + "try/", views.try_message, name="automation_try"),
    path(P + "hours/", views.business_hours, name="automation_hours"),
    path(P + "hours/holidays/", views.holiday_add, name="automation_holiday_add"),
    path(
        P + "hours/holidays/<int:holiday_id>/delete/",
        views.holiday_delete,
        name="automation_holiday_delete",
    ),
    path(P + "canned/", views.canned_list, name="automation_canned"),
    path(P + "canned/search/", views.canned_search, name="automation_canned_search"),
    path(P + "canned/<int:canned_response_id>/", views.canned_edit, name="automation_canned_edit"),
    path(
        P + "canned/<int:canned_response_id>/delete/",
        views.canned_delete,
        name="automation_canned_delete",
    ),
    path(P + "macros/", macro_views.macro_list, name="automation_macros"),
    path(P + "macros/new/", macro_views.macro_create, name="automation_macro_create"),
    path(P + "macros/<int:macro_id>/", macro_views.macro_edit, name="automation_macro_edit"),
    path(
        P + "macros/<int:macro_id>/delete/",
        macro_views.macro_delete_view,
        name="automation_macro_delete",
    ),
    path(P + "labels/", views.label_list, name="automation_labels"),
    path(P + "labels/<int:label_id>/", views.label_edit, name="automation_label_edit"),
    path(P + "labels/<int:label_id>/merge/", views.label_merge, name="automation_label_merge"),
    path(P + "labels/<int:label_id>/delete/", views.label_delete, name="automation_label_delete"),
    path(P + "audit/", views.audit_log, name="automation_audit"),
]
