"""The Celery app. Periodic schedules live here, in one place."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _return_database_connections(**kwargs) -> None:
    """Each task starts and ends like a request: its connection goes back to Django's pool
    (or is closed when unusable), so a broken one never outlives the task that saw it."""
    from django.db import close_old_connections

    request = getattr(kwargs.get("task"), "request", None)
    if not getattr(request, "is_eager", False):
        close_old_connections()


# Every periodic task of Parley. Each app adds its entries here, not elsewhere.
app.conf.beat_schedule = {
    "idempotency-keys-sweep": {"task": "tenants.idempotency_sweep", "schedule": 3600.0},
    "crm-webhook-deliveries-sweep": {"task": "crm.deliveries_sweep", "schedule": 60.0},
    # Channels: re-enqueue webhook events and sends left pending (e.g. while Redis was down).
    "inbox-sweep-pending": {"task": "inbox.sweep_pending", "schedule": 30.0},
    # Inbox: fold the sidebar tally's change rows into one row per group (exact either way).
    "inbox-tally-fold": {"task": "inbox.tally_fold", "schedule": 60.0},
    # Channels: refresh TikTok tokens before they expire (the refresh token rotates).
    "inbox-refresh-channel-tokens": {"task": "inbox.channels_refresh_tokens", "schedule": 900.0},
    # Automation: run rules for inbound messages automation never saw (e.g. Redis was down).
    "automation-sweep": {"task": "automation.sweep", "schedule": 60.0},
    # Inbox: snoozed conversations reopen by themselves.
    "inbox-wake-snoozed": {
        "task": "inbox.wake_snoozed_conversations",
        "schedule": 60.0,
    },
    # TikTok signals: re-drive pending reports, refresh Ads tokens.
    "signals-sweep": {"task": "signals.sweep", "schedule": 60.0},
    # WhatsApp message templates: a daily sync of every channel's templates (besides the
    # status webhook, the sync on connect and the channel page's button).
    "inbox-templates-sync": {"task": "inbox.templates_sync_all", "schedule": 86400.0},
    # Commerce: booking reminders that are due (each sent at most once).
    "commerce-booking-reminders": {"task": "commerce.booking_reminders_sweep", "schedule": 60.0},
    # Reports: refresh the rollups of conversations that changed (docs/reports.md).
    "reports-sweep": {"task": "reports.sweep", "schedule": 30.0},
    # Comments: read recent posts' comments again through the list API (TikTok), to catch up
    # on webhooks lost while Parley was down.
    "inbox-comments-catch-up": {"task": "inbox.comments_catch_up", "schedule": 1800.0},
}
