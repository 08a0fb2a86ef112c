"""How many conversations each sidebar group holds, kept by PostgreSQL triggers.

One row per change (`folded=False`, n = +1 / -1) written by the triggers of migration 0017 on
`inbox_conversation` and `inbox_conversation_labels`, folded every minute into one row per
group (`folded=True`) by `inbox.services.tallies.tally_fold`. A group is (tenant, label,
label2, status, assignee, team, kind, channel); label 0 counts every conversation, label L
(label2 0) those with label L, (L, M) with L < M those with both (migration 0019); assignee
0 / team 0 mean none. The sum of `n` over a group is exact at every moment (the triggers run
in the writing transaction), so the sidebar counts read a few hundred rows instead of
scanning the label's conversations (docs/inbox.md, "Sidebar counts").

Plain integer columns, no foreign keys: rows are written by the database itself, and a
deleted tenant, label or channel only leaves groups that sum to zero (dropped by the fold).
"""

from django.db import models
from django.db.models import Q

# The columns that name a group (ReadTally adds the user).
GROUP_FIELDS = ["label_id", "label2_id", "status", "assignee_id", "team_id", "kind", "channel_id"]


class TallyRows(models.Model):
    """A group's change rows (n = +1 / -1, folded=False) and its folded row (folded=True)."""

    tenant_id = models.BigIntegerField()
    label_id = models.BigIntegerField(default=0)
    # A second label (> label_id) for the groups of conversations with both; 0 for one label.
    label2_id = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16)
    assignee_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=8)
    channel_id = models.BigIntegerField()
    n = models.IntegerField()
    folded = models.BooleanField(default=False)

    class Meta:
        abstract = True


class ConversationTally(TallyRows):
    class Meta:
        indexes = [
            models.Index(fields=["tenant_id", "label_id"], name="tally_tenant_label"),
            models.Index(fields=["id"], condition=Q(folded=False), name="tally_unfolded"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", *GROUP_FIELDS],
                condition=Q(folded=True),
                name="tally_one_folded_row_per_group",
            )
        ]

    def __str__(self):
        return f"tally {self.tenant_id}/{self.label_id}/{self.status}: {self.n}"


class ReadTally(TallyRows):
    """How many conversations of each group are NOT unread for a user, kept by the triggers
    of migration 0018 — so unread = ConversationTally − ReadTally(user 0) − ReadTally(user),
    a sum over a few hundred rows whatever the size of the inbox.

    user_id > 0: conversations with a customer message that this user has read up to it
    (their `ConversationRead.last_read_at >= last_customer_message_at`, exactly
    `unread_condition`'s negation). user_id 0: conversations without any customer message
    (never unread for anyone). The same groups, change rows and fold as ConversationTally."""

    user_id = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["tenant_id", "label_id", "user_id"], name="readtally_lookup"),
            models.Index(fields=["id"], condition=Q(folded=False), name="readtally_unfolded"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "user_id", *GROUP_FIELDS],
                condition=Q(folded=True),
                name="readtally_one_folded_row_per_group",
            )
        ]

    def __str__(self):
        return f"read tally {self.tenant_id}/{self.user_id}/{self.label_id}: {self.n}"
