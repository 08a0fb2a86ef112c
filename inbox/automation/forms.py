import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from inbox.automation.engine import VARIABLES, unknown_variables
from inbox.automation.models import AutoReplyRule, BusinessHours
from inbox.models import Channel, Conversation, Label, MessageTemplate, Team
from inbox.services.templates import variable_key, variable_label
from keywords import MatchMode
from tenants.permissions import STAFF

MODE_CHOICES = [
    (MatchMode.WHOLE_WORD.value, _("Whole word (Thai, Lao, Khmer, Burmese, CJK: anywhere)")),
    (MatchMode.CONTAINS.value, _("Anywhere in the message")),
    (MatchMode.STARTS_WITH.value, _("Message starts with")),
    (MatchMode.EXACT.value, _("Whole message is exactly")),
]


# A line may override the rule's match settings: "thanh toan [contains] [ignore accents]".
LINE_MODES = {
    "whole word": MatchMode.WHOLE_WORD.value,
    "contains": MatchMode.CONTAINS.value,
    "anywhere": MatchMode.CONTAINS.value,
    "starts with": MatchMode.STARTS_WITH.value,
    "exact": MatchMode.EXACT.value,
}
LINE_ACCENTS = {"ignore accents": True, "accents matter": False}
MODE_LINE_NAMES = {
    MatchMode.WHOLE_WORD.value: "whole word",
    MatchMode.CONTAINS.value: "contains",
    MatchMode.STARTS_WITH.value: "starts with",
    MatchMode.EXACT.value: "exact",
}
_LINE_OPTION = re.compile(r"\s*\[([^\[\]]+)\]\s*$")


def parse_keyword_line(line: str) -> tuple[str, str | None, bool | None]:
    """A keyword line → (text, mode or None, accent_insensitive or None) from [options]."""
    mode = accents = None
    while match := _LINE_OPTION.search(line):
        option = match.group(1).strip().casefold()
        if option in LINE_MODES:
            mode = LINE_MODES[option]
        elif option in LINE_ACCENTS:
            accents = LINE_ACCENTS[option]
        else:
            break  # not an option: brackets are part of the keyword
        line = line[: match.start()]
    return line.strip(), mode, accents


def keyword_line(text: str, mode: str, accents: bool, *, default_mode: str, default_accents: bool):
    """The textarea line of a stored keyword, with options where it differs from the rule."""
    options = ""
    if mode != default_mode:
        options += f" [{MODE_LINE_NAMES[mode]}]"
    if accents != default_accents:
        options += " [ignore accents]" if accents else " [accents matter]"
    return text + options


class RuleForm(forms.ModelForm):
    keywords = forms.CharField(
        label=_("Keywords (one per line)"),
        help_text=_(
            "The match setting below applies to every line; a line can override it by ending "
            "with [whole word], [contains], [starts with] or [exact], and with "
            "[ignore accents] or [accents matter]."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    keyword_mode = forms.ChoiceField(label=_("Match"), choices=MODE_CHOICES)
    accent_insensitive = forms.BooleanField(
        label=_("Ignore accents (thanh toan = thanh toán)"), required=False
    )
    statuses = forms.MultipleChoiceField(
        label=_("Only when the conversation is"),
        choices=Conversation.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AutoReplyRule
        fields = [
            "name",
            "enabled",
            "trigger",
            "keyword_logic",
            "stop_after",
            "cooldown_minutes",
            "channels",
            "statuses",
            "labels_required",
            "labels_excluded",
            "from_ad",
            "reply_text",
            "add_labels",
            "remove_labels",
            "assign",
            "assign_agents",
            "assign_team",
            "set_status",
            "set_priority",
            "note_text",
            "send_template",
        ]
        labels = {
            "send_template": _("Send a message template"),
            "channels": _("Only on these channels (none = all)"),
            "labels_required": _("Only when it has the labels"),
            "labels_excluded": _("Not when it has the labels"),
            "from_ad": _("Origin"),
            "add_labels": _("Add labels"),
            "remove_labels": _("Remove labels"),
            "assign": _("Assign"),
            "assign_agents": _("Agents"),
            "assign_team": _("Team"),
            "set_status": _("Set status"),
            "set_priority": _("Set priority"),
        }
        widgets = {
            "reply_text": forms.Textarea(attrs={"rows": 3}),
            "note_text": forms.Textarea(attrs={"rows": 2}),
            "channels": forms.CheckboxSelectMultiple,
            "labels_required": forms.CheckboxSelectMultiple,
            "labels_excluded": forms.CheckboxSelectMultiple,
            "add_labels": forms.CheckboxSelectMultiple,
            "remove_labels": forms.CheckboxSelectMultiple,
            "assign_agents": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "reply_text": _('Variables: %(vars)s, e.g. {{ contact.first_name|default:"there" }}')
            % {"vars": ", ".join("{{ " + v + " }}" for v in VARIABLES)},
            "stop_after": _("When this rule fires, later rules are not evaluated."),
            "cooldown_minutes": _("The rule fires at most once per conversation in this time."),
            "send_template": _(
                "An approved WhatsApp template, sent on its own channel (also when the reply "
                "window is closed); its variables come from the sources chosen on the "
                "channel's templates page."
            ),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        labels = Label.objects.for_tenant(tenant)
        for name in ("labels_required", "labels_excluded", "add_labels", "remove_labels"):
            self.fields[name].queryset = labels
        self.fields["channels"].queryset = Channel.objects.for_tenant(tenant)
        self.fields["send_template"].queryset = (
            MessageTemplate.objects.for_tenant(tenant)
            .filter(status=MessageTemplate.Status.APPROVED)
            .select_related("channel")
        )
        self.fields["send_template"].label_from_instance = lambda t: (
            f"{t.channel.name}: {t.name} · {t.language}"
        )
        self.fields["assign_agents"].queryset = get_user_model().objects.filter(
            memberships__tenant=tenant, memberships__role__in=[r.value for r in STAFF]
        )
        self.fields["assign_agents"].label_from_instance = lambda u: u.get_full_name() or u.email
        self.fields["assign_team"].queryset = Team.objects.for_tenant(tenant)
        self.fields["set_status"].choices = [("", _("Keep"))] + [
            choice for choice in Conversation.Status.choices if choice[0] != "snoozed"
        ]  # snoozing needs a time
        self.fields["set_priority"].choices = [("", _("Keep"))] + list(
            Conversation.Priority.choices
        )
        if self.instance.pk and not self.is_bound:
            keywords = list(self.instance.keywords.all())
            if keywords:
                default_mode = keywords[0].mode
                default_accents = keywords[0].accent_insensitive
                self.initial["keyword_mode"] = default_mode
                self.initial["accent_insensitive"] = default_accents
                self.initial["keywords"] = "\n".join(
                    keyword_line(
                        k.text,
                        k.mode,
                        k.accent_insensitive,
                        default_mode=default_mode,
                        default_accents=default_accents,
                    )
                    for k in keywords
                )
        elif not self.is_bound:
            self.initial.setdefault("keyword_mode", MatchMode.WHOLE_WORD.value)

    def clean_keywords(self):
        seen, out = set(), []
        for line in self.cleaned_data["keywords"].splitlines():
            text, mode, accents = parse_keyword_line(line)
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                out.append((text[:200], mode, accents))
        return out

    def clean(self):
        data = super().clean()
        # Lines without their own options take the rule's match settings.
        data["keywords"] = [
            (
                text,
                mode or data.get("keyword_mode") or MatchMode.WHOLE_WORD.value,
                data.get("accent_insensitive", False) if accents is None else accents,
            )
            for text, mode, accents in data.get("keywords") or []
        ]
        if data.get("trigger") == AutoReplyRule.Trigger.KEYWORDS and not data.get("keywords"):
            self.add_error("keywords", _("Add at least one keyword."))
        template = data.get("send_template")
        if template is not None:
            unmapped = [
                variable_label(variable_key(kind, key))
                for kind, key in template.variables
                if not (template.variable_map or {}).get(variable_key(kind, key))
            ]
            if unmapped:
                self.add_error(
                    "send_template",
                    _(
                        "Choose where the variables %(vars)s come from on the channel's "
                        "templates page first: a rule has nobody to type them."
                    )
                    % {"vars": ", ".join(unmapped)},
                )
        for name in ("reply_text", "note_text"):
            unknown = unknown_variables(data.get(name) or "")
            if unknown:
                self.add_error(name, _("Unknown variable: %s") % ", ".join(unknown))
        if data.get("assign") == AutoReplyRule.Assign.TEAM_ROUND_ROBIN:
            if not data.get("assign_team"):
                self.add_error("assign_team", _("Choose a team."))
        elif data.get("assign") and not data.get("assign_agents"):
            self.add_error("assign_agents", _("Choose at least one agent."))
        if not any(
            [
                (data.get("reply_text") or "").strip(),
                (data.get("note_text") or "").strip(),
                data.get("add_labels"),
                data.get("remove_labels"),
                data.get("assign"),
                data.get("set_status"),
                data.get("set_priority") is not None,
            ]
        ):
            raise forms.ValidationError(_("Choose at least one action."))
        return data


class TryForm(forms.Form):
    text = forms.CharField(label=_("Sample message"), widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), required=False
    )
    at = forms.DateTimeField(
        label=_("Time (business timezone)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    first_message = forms.BooleanField(
        label=_("First message of a new conversation"), required=False, initial=True
    )
    from_ad = forms.BooleanField(label=_("Came from an ad"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.for_tenant(tenant)


class LabelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#6b7280",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class LabelMergeForm(forms.Form):
    target = forms.ModelChoiceField(label=_("Merge into"), queryset=Label.objects.none())

    def __init__(self, *args, tenant, source, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Label.objects.for_tenant(tenant).exclude(pk=source.pk)


class CannedResponseForm(forms.Form):
    shortcut = forms.SlugField(label=_("Shortcut"), max_length=40, allow_unicode=True)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=120, required=False)


class SafetyForm(forms.Form):
    max_replies_per_hour = forms.IntegerField(
        label=_("Automatic replies per conversation per hour, at most"), min_value=0, max_value=100
    )
    away_agent_grace_minutes = forms.IntegerField(
        label=_("Skip the away reply when an agent replied within (minutes)"),
        min_value=0,
        max_value=1440,
    )


WEEKDAYS = BusinessHours.Weekday.choices


def parse_hours(post) -> tuple[list, list[str]]:
    """The weekly schedule from the hours form: for each weekday ``open_<d>`` (checkbox),
    ``opens_<d>`` and ``closes_<d>`` (HH:MM)."""
    field = forms.TimeField()
    intervals, errors = [], []
    for day, label in WEEKDAYS:
        if not post.get(f"open_{day}"):
            continue
        try:
            opens = field.clean(post.get(f"opens_{day}"))
            closes = field.clean(post.get(f"closes_{day}"))
        except forms.ValidationError:
            errors.append(str(_("%s: enter opening and closing times.") % label))
            continue
        if (closes.hour or closes.minute) and closes <= opens:
            errors.append(str(_("%s: closing must be after opening.") % label))
            continue
        intervals.append((day, opens, closes))
    return intervals, errors
