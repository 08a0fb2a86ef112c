"""The language switch in the header: one click saves the person's choice on their account."""

from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tenants.locale import SESSION_LANGUAGE_KEY, set_person_language, shipped


@require_POST
def switch_language(request):
    language = shipped(request.POST.get("language", ""))
    if language is None or language != request.POST.get("language"):
        return HttpResponseBadRequest()
    if request.user.is_authenticated:
        set_person_language(request.user, language)
    request.session[SESSION_LANGUAGE_KEY] = language
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return HttpResponseRedirect(target)
