"""The reports' rollups, kept up to date from the raw inbox rows by `reports.services`.

- `ReportConversation`: one row per conversation — its first response, its current
  dimensions (channel, team, campaign, assignee, labels) and what it contributed to the
  counters.
- `ReportResolution`: one row per resolution of a conversation (a reopened conversation
  resolved again has two).
- `ReportBucket`: per tenant, per 15 minutes (UTC; every timezone's offset is a multiple of
  15 minutes, so a local day or hour is a whole number of buckets), per channel, agent, team
  and campaign: messages in and out, new conversations, resolutions.
- `ReportDay`: per tenant, local day, dimension (everybody, agent, team, channel, label,
  campaign) and key: every counter and the durations' histograms — what the figures and
  breakdowns read; and per local week ("w.<dimension>", keyed by the Monday) the sum of its
  days, so a period reads whole weeks and only the days around them.
- `ReportSweep`: how far the incremental job has read (one row).

Definitions: docs/reports.md.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from inbox.models import Conversation
from tenants.models import TenantOwnedModel


class ReportConversation(TenantOwnedModel):
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    channel_id = models.BigIntegerField()
    campaign = models.CharField(max_length=200, blank=True)
    team_id = models.BigIntegerField(default=0)  # 0: no team
    assignee_id = models.BigIntegerField(default=0)  # 0: unassigned
    label_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField()
    is_open = models.BooleanField(default=True)
    first_customer_at = models.DateTimeField(null=True)
    first_response_at = models.DateTimeField(null=True)
    first_response_seconds = models.FloatField(null=True)
    first_response_business_seconds = models.FloatField(null=True)
    responder_id = models.BigIntegerField(default=0)
    # {"<bucket epoch>|<agent id>": [in, out, new, resolved]} with this row's channel, team
    # and campaign: what the counters hold for this conversation (the next refresh subtracts it).
    contributions = models.JSONField(default=dict)
    # {"<local day>|<dimension>|<key>": [counters…, [bins]…]}: this conversation's share of
    # the ReportDay rows (reports.facts.day_shares), taken back by the next refresh.
    day_shares = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField(default=timezone.now)
    # The version of the conversation row this refresh read (``reports.raw.ROW_VERSION``):
    # every write on the conversation or its messages writes the row, so the sweep skips a
    # conversation whose row is still the one it refreshed from (``report_sweep``).
    source_version = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="rconv_tenant_created"),
            models.Index(
                fields=["tenant", "first_response_at"],
                condition=models.Q(first_response_at__isnull=False),
                name="rconv_tenant_first_response",
            ),
        ]


class ReportResolution(TenantOwnedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    resolved_at = models.DateTimeField()
    resolver_id = models.BigIntegerField(default=0)  # 0: nobody (automation, the system)
    channel_id = models.BigIntegerField()
    campaign = models.CharField(max_length=200, blank=True)
    team_id = models.BigIntegerField(default=0)
    label_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    cycle_started_at = models.DateTimeField()
    seconds = models.FloatField()
    business_seconds = models.FloatField()
    replies = models.PositiveIntegerField(default=0)
    bot_handled = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "resolved_at"], name="rres_tenant_resolved"),
            models.Index(fields=["conversation"], name="rres_conversation"),
        ]


class ReportBucket(TenantOwnedModel):
    bucket = models.DateTimeField()  # start of the 15 minutes, UTC
    channel_id = models.BigIntegerField()
    agent_id = models.BigIntegerField(default=0)  # 0: nobody / a bot
    team_id = models.BigIntegerField(default=0)  # the conversation's team; 0: none
    campaign = models.CharField(max_length=200, blank=True)
    messages_in = models.IntegerField(default=0)
    messages_out = models.IntegerField(default=0)
    conversations_new = models.IntegerField(default=0)
    resolutions = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "bucket", "channel_id", "agent_id", "team_id", "campaign"],
                name="rbucket_key_unique",
            )
        ]


class ReportTotal(TenantOwnedModel):
    """ReportBucket summed over its dimensions: per tenant and 15 minutes only, so the
    figures and charts of everybody (no breakdown) read at most 96 rows a day whatever the
    number of channels, agents, teams and campaigns. Kept by the same delta."""

    bucket = models.DateTimeField()
    messages_in = models.IntegerField(default=0)
    messages_out = models.IntegerField(default=0)
    conversations_new = models.IntegerField(default=0)
    resolutions = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "bucket"], name="rtotal_key_unique")
        ]


class ReportDay(TenantOwnedModel):
    """Per tenant, local day (the tenant's timezone), dimension and key: every figure of the
    reports for that day, pre-aggregated — counters, and the durations as fixed log-scale
    histograms (`reports.histogram`, every bin: the same size for every row) from which a
    period's percentiles are computed; week rows ("w.<dimension>") sum their days. A 30-day
    report reads 6 to 12 rows (whole weeks, the days around them) for everybody or one agent,
    and 6 to 12 per key for a breakdown, whatever the number of conversations. Kept by the
    same delta as ReportBucket."""

    day = models.DateField()
    # all, agent, team, channel, label, campaign; and "a.team" … "a.campaign": the same per
    # agent too (key "<agent id>|<key>"), for an agent's own breakdowns; "w.<any of those>":
    # the local week starting on `day` (a Monday), the sum of its 7 day rows.
    dimension = models.CharField(max_length=12)
    key = models.CharField(max_length=240, blank=True)  # the id as text, or the campaign
    messages_in = models.IntegerField(default=0)
    messages_out = models.IntegerField(default=0)
    conversations_new = models.IntegerField(default=0)
    conversations_open = models.IntegerField(default=0)  # created that day, not resolved now
    resolutions = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)  # during the cycles resolved that day
    bot_handled = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_score = models.IntegerField(default=0)  # the sum of the ratings
    csat_satisfied = models.IntegerField(default=0)  # ratings of 4 or 5
    # The counts of every bin of reports.histogram, fixed-size: BINS big-endian 32-bit
    # integers, b"" when empty (reports.0005; read by reports.histogram.stored_total).
    first_response_hist = models.BinaryField(default=b"", blank=True)
    first_response_business_hist = models.BinaryField(default=b"", blank=True)
    resolution_hist = models.BinaryField(default=b"", blank=True)
    resolution_business_hist = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dimension", "day", "key"], name="rday_key_unique"
            )
        ]


class ReportSweep(models.Model):
    """The incremental job's position: conversations changed since `swept_until` (minus an
    overlap) are refreshed next."""

    name = models.CharField(max_length=40, unique=True)
    swept_until = models.DateTimeField(null=True)
