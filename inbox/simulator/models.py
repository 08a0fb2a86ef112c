"""What the built-in fake providers received, and their injected failures (shared between the
web process and the Celery worker through the database). Part of the ``inbox`` app."""

from django.db import models
from django.utils import timezone


class SimulatorRequest(models.Model):
    at = models.DateTimeField(default=timezone.now)
    provider = models.CharField(max_length=16)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    query = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    status = models.IntegerField(default=0)
    injected = models.CharField(max_length=16, blank=True)

    class Meta:
        app_label = "inbox"
        ordering = ["-id"]


class SimulatorFailure(models.Model):
    kind = models.CharField(max_length=16)
    code = models.CharField(max_length=20, blank=True)
    provider = models.CharField(max_length=16, blank=True)
    path_contains = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "inbox"
        ordering = ["id"]


class SimulatorRevokedToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "inbox"


class SimulatorProfile(models.Model):
    """Names of simulated customers, for the fake Messenger profile API."""

    external_id = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        app_label = "inbox"


class SimulatorTemplate(models.Model):
    """A message template of a fake WhatsApp business account (``waba_id``), in Graph's shape
    (``data``: name, language, status, category, components …). ``phone_number_ids`` are the
    numbers of that account (a send from one of them uses these templates)."""

    waba_id = models.CharField(max_length=64)
    template_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    data = models.JSONField(default=dict)
    phone_number_ids = models.JSONField(default=list, blank=True)

    class Meta:
        app_label = "inbox"
        ordering = ["id"]


class SimulatorObject(models.Model):
    """Posts and comments the fake providers keep (``kind`` "post" or "comment"), in each
    provider's own shape (``data``), keyed by the fake's API path and the provider's id."""

    api = models.CharField(max_length=16)
    kind = models.CharField(max_length=8)
    external_id = models.CharField(max_length=191)
    parent_id = models.CharField(max_length=191, blank=True)  # a comment's post
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "inbox"
        constraints = [
            models.UniqueConstraint(
                fields=["api", "kind", "external_id"], name="simulator_object_unique"
            )
        ]
