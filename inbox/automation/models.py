"""Automation: keyword auto-reply rules, welcome and away messages, business hours, canned
responses."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel, Conversation, Label, Message
from keywords import MatchMode
from tenants.models import TenantOwnedModel


class AutomationSettings(TenantOwnedModel):
    """One row per tenant: the safety limits of its automatic replies."""

    max_replies_per_hour = models.PositiveSmallIntegerField(
        _("automatic replies per conversation per hour, at most"), default=3
    )
    away_agent_grace_minutes = models.PositiveSmallIntegerField(
        _("skip the away reply when an agent replied within (minutes)"), default=10
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="automation_settings_tenant_unique")
        ]


class AutoReplyRule(TenantOwnedModel):
    class Trigger(models.TextChoices):
        KEYWORDS = "keywords", _("Keywords")
        WELCOME = "welcome", _("First message of a new conversation (welcome)")
        AWAY = "away", _("Outside business hours (away)")

    class KeywordLogic(models.TextChoices):
        ANY = "any", _("Any keyword")
        ALL = "all", _("All keywords")

    class FromAd(models.TextChoices):
        ANY = "", _("Any conversation")
        YES = "yes", _("Only conversations that came from an ad")
        NO = "no", _("Only conversations that did not come from an ad")

    class Assign(models.TextChoices):
        NONE = "", _("Do not assign")
        AGENT = "agent", _("Assign to an agent")
        ROUND_ROBIN = "round_robin", _("Round-robin among the chosen agents")
        TEAM_ROUND_ROBIN = "team_round_robin", _("Round-robin within a team")

    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=True)
    position = models.PositiveIntegerField(default=0, db_index=True)
    trigger = models.CharField(
        _("trigger"), max_length=12, choices=Trigger.choices, default=Trigger.KEYWORDS
    )
    keyword_logic = models.CharField(
        _("keywords"), max_length=3, choices=KeywordLogic.choices, default=KeywordLogic.ANY
    )
    stop_after = models.BooleanField(_("stop after this rule"), default=True)
    cooldown_minutes = models.PositiveIntegerField(_("cooldown (minutes)"), default=60)

    # Conditions (empty = no restriction).
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    statuses = models.JSONField(default=list, blank=True)
    labels_required = models.ManyToManyField(Label, blank=True, related_name="+")
    labels_excluded = models.ManyToManyField(Label, blank=True, related_name="+")
    from_ad = models.CharField(max_length=3, choices=FromAd.choices, default="", blank=True)

    # Actions.
    reply_text = models.TextField(_("reply"), blank=True)
    add_labels = models.ManyToManyField(Label, blank=True, related_name="+")
    remove_labels = models.ManyToManyField(Label, blank=True, related_name="+")
    assign = models.CharField(max_length=16, choices=Assign.choices, default="", blank=True)
    assign_team = models.ForeignKey(
        "inbox.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assign_agents = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    round_robin_last_user_id = models.IntegerField(null=True, blank=True)
    set_status = models.CharField(
        max_length=16, choices=Conversation.Status.choices, blank=True, default=""
    )
    set_priority = models.PositiveSmallIntegerField(
        choices=Conversation.Priority.choices, null=True, blank=True
    )
    note_text = models.TextField(_("private note"), blank=True)
    send_template = models.ForeignKey(
        "inbox.MessageTemplate",
        verbose_name=_("send a template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="rule_tenant_position")]

    def __str__(self):
        return self.name


class Keyword(TenantOwnedModel):
    rule = models.ForeignKey(AutoReplyRule, on_delete=models.CASCADE, related_name="keywords")
    text = models.CharField(max_length=200)
    mode = models.CharField(
        max_length=12,
        choices=[(m.value, m.value.replace("_", " ")) for m in MatchMode],
        default=MatchMode.WHOLE_WORD.value,
    )
    accent_insensitive = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.text


class RuleRun(TenantOwnedModel):
    """A rule that fired (or was stopped by a safety check) for one inbound message. Unique per
    (rule, message): a redelivered or reprocessed message never answers twice."""

    class Outcome(models.TextChoices):
        FIRED = "fired", _("Fired")
        COOLDOWN = "cooldown", _("Skipped: cooldown")
        CAPPED = "capped", _("Reply skipped: hourly cap")
        AGENT_ACTIVE = "agent_active", _("Skipped: an agent replied recently")
        WINDOW = "window", _("Reply not sent: provider window")

    rule = models.ForeignKey(AutoReplyRule, on_delete=models.CASCADE, related_name="runs")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "message"], name="rule_run_rule_message_unique")
        ]
        indexes = [
            models.Index(fields=["rule", "conversation", "-created_at"], name="rule_run_cooldown")
        ]


class MessageAutomation(TenantOwnedModel):
    """The claim that automation ran for a message (one row per message)."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class BusinessHours(TenantOwnedModel):
    """An opening interval on one weekday, in the tenant's timezone. A closing time of 00:00
    means midnight at the end of the day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens_at"]


class Holiday(TenantOwnedModel):
    """A whole day closed, in the tenant's timezone."""

    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date"], name="holiday_tenant_date_unique")
        ]


class CannedResponse(TenantOwnedModel):
    shortcut = models.CharField(_("shortcut"), max_length=40)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shortcut"]
        constraints = [
            models.UniqueConstraint(
                "tenant", Lower("shortcut"), name="canned_response_tenant_shortcut_unique"
            )
        ]

    def __str__(self):
        return self.shortcut


class Macro(TenantOwnedModel):
    """A named sequence of actions an agent runs on a conversation in one click.

    `actions` is an ordered list of `{"type": <ACTION_TYPES>, "value": <str>}`: a label,
    user, team or canned response id, a status, a priority, or a note's text."""

    name = models.CharField(_("name"), max_length=120)
    actions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="macro_tenant_name_unique")
        ]

    def __str__(self):
        return self.name


# The shipped comment rules' names, stored in English and shown translated while unchanged.
DEFAULT_COMMENT_RULE_NAMES = {
    "hide_phone": "Hide comments that contain a phone number",
    "price_private": "Answer “price?” comments privately",
}
_DEFAULT_NAME_MSGIDS = (
    _("Hide comments that contain a phone number"),
    _("Answer “price?” comments privately"),
)


class CommentRule(TenantOwnedModel):
    """A rule for new public comments (trigger "new comment"): conditions on the comment,
    then hide / reply publicly / reply privately / label / assign. The shipped defaults
    (``default_key``) are created off; the business enables them."""

    class IsReply(models.TextChoices):
        ANY = "", _("Any comment")
        YES = "yes", _("Only replies to another comment")
        NO = "no", _("Only top-level comments")

    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=False)
    position = models.PositiveIntegerField(default=0)
    default_key = models.CharField(max_length=32, blank=True)
    # Conditions (empty = no restriction).
    post = models.ForeignKey(
        "inbox.Post",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("only on this post"),
    )
    keywords = models.TextField(_("keywords (one per line; any of them)"), blank=True)
    has_phone = models.BooleanField(_("contains a phone number"), default=False)
    has_email = models.BooleanField(_("contains an email address"), default=False)
    is_reply = models.CharField(
        _("comment or reply"), max_length=3, choices=IsReply.choices, default="", blank=True
    )
    # Actions.
    hide = models.BooleanField(_("hide the comment"), default=False)
    public_reply_text = models.TextField(_("reply publicly"), blank=True)
    private_reply_text = models.TextField(_("reply privately"), blank=True)
    add_label = models.ForeignKey(
        Label,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("add the label"),
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assign to"),
    )
    cooldown_minutes = models.PositiveIntegerField(
        _("replies at most once per author and post every (minutes)"), default=60
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "default_key"],
                condition=~models.Q(default_key=""),
                name="comment_rule_default_unique",
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.default_key and DEFAULT_COMMENT_RULE_NAMES.get(self.default_key) == self.name:
            return str(_(self.name))
        return self.name


class CommentRuleRun(TenantOwnedModel):
    """A comment rule that ran for one comment: unique per (rule, comment), so a redelivered
    comment or a retried task never acts twice."""

    class Outcome(models.TextChoices):
        FIRED = "fired", _("Fired")
        COOLDOWN = "cooldown", _("Replies skipped: cooldown")
        REFUSED = "refused", _("Refused by the provider")

    rule = models.ForeignKey(CommentRule, on_delete=models.CASCADE, related_name="runs")
    comment = models.ForeignKey("inbox.Comment", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("inbox.Post", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "inbox.Contact", null=True, on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.FIRED)
    replied = models.BooleanField(default=False)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "comment"], name="comment_rule_run_unique")
        ]
        indexes = [
            models.Index(fields=["rule", "contact", "post", "-created_at"], name="comment_run_cd")
        ]
