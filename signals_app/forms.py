from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Signal


class TokenConnectForm(forms.Form):
    event_set_id = forms.CharField(label=_("Message Event Set id"), max_length=64)
    access_token = forms.CharField(
        label=_("Access token"),
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Created in TikTok Events Manager for this event set. Stored encrypted."),
    )


class EventSetForm(forms.Form):
    CHOICES = [
        ("create", _("Create a new Message Event Set")),
        ("existing", _("Use an existing one")),
    ]

    choice = forms.ChoiceField(
        label=_("Message Event Set"), choices=CHOICES, widget=forms.RadioSelect, initial="existing"
    )
    name = forms.CharField(label=_("Name of the new event set"), max_length=100, required=False)
    event_set_id = forms.CharField(label=_("Existing event set id"), max_length=64, required=False)

    def __init__(self, *args, can_create: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_create:
            self.fields["choice"].choices = [self.CHOICES[1]]

    def clean(self):
        data = super().clean()
        if data.get("choice") == "create" and not data.get("name"):
            self.add_error("name", _("Give the new event set a name."))
        if data.get("choice") == "existing" and not data.get("event_set_id"):
            self.add_error("event_set_id", _("Enter the event set id."))
        return data


class MappingForm(forms.Form):
    event_source = forms.CharField(
        label=_("Event source type"),
        max_length=32,
        help_text=_("Sent as event_source with every event."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = settings.TIKTOK_SIGNAL_EVENT_MAPPING
        for signal, label in Signal.choices:
            self.fields[f"event_{signal}"] = forms.RegexField(
                regex=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
                label=label,
                required=False,
                help_text=_("Default: %(d)s. Empty: not reported.")
                % {"d": defaults.get(signal) or "—"},
            )

    def mapping(self) -> dict[str, str]:
        return {s: self.cleaned_data.get(f"event_{s}", "") for s in Signal.values}


class KeywordImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or JSON file"))
    replace = forms.BooleanField(
        label=_("Replace every current keyword (otherwise add to them)"), required=False
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
