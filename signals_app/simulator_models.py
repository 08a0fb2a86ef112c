"""State of the built-in TikTok Ads / Events API fake, shared through the database so the web
process, Celery workers and tests all see the same requests, tokens and injected failures.

Not tenant data: the fake stands in for TikTok itself."""

from django.db import models
from django.utils import timezone


class FakeTikTokRequest(models.Model):
    """Every request the fake received, exactly as it arrived."""

    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(default=200)
    code = models.IntegerField(default=0)
    injected = models.CharField(max_length=16, blank=True)

    class Meta:
        app_label = "signals_app"
        ordering = ["id"]


class FakeTikTokBehaviour(models.Model):
    """An injected behaviour: the next `remaining` matching requests (every one when null)
    are delayed by `latency_ms` and/or answered with `kind`; `hold` keeps them (recorded,
    not yet answered) until the row is deleted or `latency_ms` has passed."""

    class Kind(models.TextChoices):
        LATENCY = "latency"  # only the delay
        HOLD = "hold"  # wait until released (the row deleted), then answer normally
        ERROR = "error"  # HTTP 200 with the TikTok error `code` (throttle, token, permanent)
        HTTP_500 = "http_500"
        HTTP_503 = "http_503"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.IntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    path_contains = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "signals_app"
        ordering = ["id"]


class FakeTikTokToken(models.Model):
    """Tokens the fake issued (OAuth access/refresh, rotated on refresh) and event sets it knows."""

    class Kind(models.TextChoices):
        ACCESS = "access"
        REFRESH = "refresh"
        EVENT_SET = "event_set"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=128, blank=True)
    scope = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "signals_app"


class FakeTikTokEvent(models.Model):
    """An event as TikTok counts it: one row per (event set, event name, event_id). TikTok keeps
    the first copy received and drops identical ones arriving within 48 hours of it (its
    Events API deduplication); a copy arriving later starts a new count. `received` is every
    copy that arrived, `counted` how many TikTok counted; received − counted are the re-sends
    TikTok deduplicated."""

    event_source_id = models.CharField(max_length=64)
    event = models.CharField(max_length=100)
    event_id = models.CharField(max_length=200)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    received = models.PositiveIntegerField(default=1)
    counted = models.PositiveIntegerField(default=1)

    class Meta:
        app_label = "signals_app"
        constraints = [
            models.UniqueConstraint(
                fields=["event_source_id", "event", "event_id"], name="fake_tiktok_event_once"
            )
        ]
