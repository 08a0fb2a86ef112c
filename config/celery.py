"""The Celery app. Periodic schedules live here, in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task of Parley. Each app adds its entries here, not elsewhere.
app.conf.beat_schedule = {}
