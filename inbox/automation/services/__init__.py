"""Writes of the automation app, one module per topic: running the rules on a message
(``rule_runs``; a processing pass's messages set-based: ``batch_runs``), editing rules and
their safety limits (``rules``), labels, business hours and holidays, canned responses. Every
admin change is audited."""

from inbox.automation.services.batch_runs import automation_run_for_messages
from inbox.automation.services.business_hours import business_hours_set, holiday_add, holiday_delete
from inbox.automation.services.canned_responses import (
    canned_response_create,
    canned_response_delete,
    canned_response_update,
)
from inbox.automation.services.labels import label_create, label_delete, label_merge, label_update
from inbox.automation.services.rule_runs import (
    automation_claims_record,
    automation_may_act,
    automation_run_for_message,
    automation_sweep,
)
from inbox.automation.services.rules import (
    RULE_FIELDS,
    RULE_M2M,
    automation_settings_update,
    rule_delete,
    rule_duplicate,
    rule_move,
    rule_reorder,
    rule_save,
    rule_set_enabled,
)

__all__ = [
    "RULE_FIELDS",
    "RULE_M2M",
    "automation_claims_record",
    "automation_may_act",
    "automation_run_for_message",
    "automation_run_for_messages",
    "automation_settings_update",
    "automation_sweep",
    "business_hours_set",
    "canned_response_create",
    "canned_response_delete",
    "canned_response_update",
    "holiday_add",
    "holiday_delete",
    "label_create",
    "label_delete",
    "label_merge",
    "label_update",
    "rule_delete",
    "rule_duplicate",
    "rule_move",
    "rule_reorder",
    "rule_save",
    "rule_set_enabled",
]
