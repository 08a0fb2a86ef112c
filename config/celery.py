"""The Celery app. Periodic schedules live here, in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# `include`: task modules outside `<app>.tasks`.
app = Celery("parley", include=["inbox.tasks_inbox"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task of Parley. Each app adds its entries here, not elsewhere.
app.conf.beat_schedule = {
    "inbox-wake-snoozed": {
        "task": "inbox.wake_snoozed_conversations",
        "schedule": 60.0,
    },
}
