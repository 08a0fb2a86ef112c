from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.outbound_webhooks.models import EVENT_TYPE_CHOICES


class WebhookSubscriptionForm(forms.Form):
    url = forms.URLField(label=_("Endpoint URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
