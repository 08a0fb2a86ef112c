import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.permissions import ROLE_CHOICES, Role

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class SignupForm(forms.Form):
    """Extra fields of allauth's signup: the business that the new user will own."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    business_name = forms.CharField(label=_("Business name"), max_length=120)

    def signup(self, request, user):
        from tenants.services import tenant_create

        if self.cleaned_data.get("name"):
            user.first_name = self.cleaned_data["name"]
            user.save(update_fields=["first_name"])
        tenant_create(name=self.cleaned_data["business_name"], owner=user)


class TenantCreateForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=120)


class TenantSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Timezone"), choices=TIMEZONE_CHOICES)

    class Meta:
        model = Tenant
        fields = [
            "name",
            "timezone",
            "default_language",
            "country",
            "agents_see_all",
            "agents_see_team",
        ]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    read_only = forms.BooleanField(label=_("Read-only"), required=False)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        data = super().clean()
        if data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        if data.get("password1"):
            validate_password(data["password1"])
        return data
