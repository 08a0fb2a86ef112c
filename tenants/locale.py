"""Which language Parley speaks to a person.

In order: the language the person chose (their account's setting, read on every request so a
switch on one device applies to their other devices on the next page; before signing in, the
choice made on the sign-in page, kept in the session), else the first language of the browser's
Accept-Language that Parley ships, else the default language of the business whose page this
is (applied by `tenant_view`, which knows the business), else English.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)

SESSION_LANGUAGE_KEY = "person_language"
SHIPPED = {code for code, _name in settings.LANGUAGES}


def shipped(code: str | None) -> str | None:
    """The shipped language for a code ('vi', 'vi-VN', 'cs-cz'), or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.lower())
    except LookupError:
        return None


def person_language(user) -> str:
    """The language this person chose, or '' for 'follow the browser'."""
    from tenants.models import PersonPreferences

    if user is None or not getattr(user, "pk", None):
        return ""
    return (
        PersonPreferences.objects.filter(user=user).values_list("language", flat=True).first() or ""
    )


def set_person_language(user, language: str) -> None:
    from tenants.models import PersonPreferences

    PersonPreferences.objects.update_or_create(user=user, defaults={"language": language})


def browser_language(request) -> str | None:
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and (language := shipped(code)):
            return language
    return None


def language_for_recipient(email: str, *, fallback: str | None = None) -> str:
    """The language to write an email in: the person's choice, else the fallback given."""
    user = get_user_model().objects.filter(email__iexact=email).first()
    return shipped(person_language(user)) or shipped(fallback) or settings.LANGUAGE_CODE


def tenant_zone(tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def activate_for_request(request, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


def apply_tenant_default(request, tenant) -> None:
    """Called once the business of the page is known."""
    if getattr(request, "language_is_fallback", False):
        language = shipped(tenant.default_language)
        if language:
            activate_for_request(request, language)


class PersonLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = self.chosen_language(request)
        language = chosen or browser_language(request)
        request.language_is_fallback = language is None
        activate_for_request(request, language or settings.LANGUAGE_CODE)
        try:
            response = self.get_response(request)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            # The thread serves the next request (or test) in its own language and zone.
            translation.deactivate()
            timezone.deactivate()
        return response

    @staticmethod
    def chosen_language(request) -> str | None:
        """The account's saved language (one indexed query per signed-in request: the
        account, not the session, is the truth, so every device follows a switch at once),
        else the session's choice (made before signing in)."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (saved := shipped(person_language(user))):
            return saved
        session = getattr(request, "session", None)
        if session is None:
            return None
        return shipped(session.get(SESSION_LANGUAGE_KEY))


@receiver(user_logged_in)
def remember_language_at_sign_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    language = person_language(user)
    # A choice made on the sign-in page stands for this session until the person saves one.
    if language or SESSION_LANGUAGE_KEY not in request.session:
        request.session[SESSION_LANGUAGE_KEY] = language
    if language := shipped(request.session[SESSION_LANGUAGE_KEY]):
        activate_for_request(request, language)
