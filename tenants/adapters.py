from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from tenants.locale import language_for_recipient


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user):
        # Parley signs people in by email; the username mirrors it.
        user.username = (user.email or "").lower()[:150]

    def send_mail(self, template_prefix, email, context):
        # Verification and password-reset mail in the recipient's language: their own choice,
        # else the language they are using Parley in right now.
        language = language_for_recipient(email, fallback=translation.get_language())
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
