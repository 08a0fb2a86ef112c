"""Every page and htmx partial, in every shipped language, leaves no catalogue string in English.

The check reads the catalogues, not the page by eye: a text node (or a label, placeholder or
title) that is exactly an English msgid — or a piece of one split at ':', '·', '(', ')' — and
whose translation differs, or is missing, fails the test. Msgids a language keeps as they are
(URL, SKU, Webhook…) are those its catalogue translates to themselves.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

from tenants.models import PersonPreferences
from tests.isolation_objects import KWARG_FACTORIES
from tests.test_isolation import _fill, _object_kwargs, tenant_page_routes

SHIPPED = ["vi", "th", "id", "cs", "ja"]
LOCALE = Path(settings.BASE_DIR) / "locale"
ACCOUNT_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
SIGNED_IN_ACCOUNT_PAGES = [
    "/",
    "/tenants/new/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
]
# Partials whose content needs a query (the route walk asks without one).
HTMX_WITH_QUERY = [
    "/t/{slug}/inbox/search/?q=zzz-nothing",
    "/t/{slug}/inbox/?status=all&page=2",
]
SEGMENTS = re.compile(r"\s*(?:[·:()\n|—]|\.\s)\s*")


class VisibleText(HTMLParser):
    SKIPPED = {"script", "style", "code", "pre", "textarea"}
    ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "data-confirm"}

    def __init__(self):
        super().__init__()
        self.pieces: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        button = tag == "input" and dict(attrs).get("type") in {"submit", "button"}
        for name, value in attrs:
            if value and (name in self.ATTRIBUTES or (button and name == "value")):
                self.pieces.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.pieces.append(data)


def visible_pieces(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set()
    for piece in parser.pieces:
        text = " ".join(piece.split())
        found.add(text)
        found.update(part.strip() for part in SEGMENTS.split(text) if part.strip())
    return found


def english_msgids(language: str) -> set[str]:
    """Msgids that must not be seen in English by a person using this language."""
    ours = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    kept_as_is = {e.msgid for e in ours if e.msgstr == e.msgid}
    msgids = {e.msgid for e in ours if not e.msgid_plural}
    import allauth

    allauth_po = Path(allauth.__file__).parent / "locale" / "cs" / "LC_MESSAGES" / "django.po"
    msgids |= {e.msgid for e in polib.pofile(str(allauth_po)) if not e.msgid_plural}
    return {
        m
        for m in msgids - kept_as_is
        if "%" not in m and "{" not in m and "<" not in m and re.search(r"[A-Za-z]{2}", m)
    }


def untranslated_on(html: str, msgids: set[str]) -> list[str]:
    return sorted(visible_pieces(html) & msgids)


def assert_speaks(response, language: str, msgids: set[str], path: str) -> None:
    assert response.status_code < 500, f"{language} GET {path} → {response.status_code}"
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    html = response.content.decode()
    if "<html" in html:
        assert f'<html lang="{language}"' in html, f"{language} {path}: no lang attribute"
    left = untranslated_on(html, msgids)
    assert not left, f"{language} {path}: English left on the page: {left}"


@pytest.fixture(scope="module")
def msgids_by_language():
    return {language: english_msgids(language) for language in SHIPPED}


@pytest.mark.django_db
@pytest.mark.parametrize("language", SHIPPED)
def test_every_tenant_page_and_partial_speaks_the_persons_language(
    language, tenant_a, owner_a, msgids_by_language
):
    PersonPreferences.objects.create(user=owner_a, language=language)
    client = Client()
    client.force_login(owner_a)
    cache = {}
    checked = 0
    for route in tenant_page_routes():
        values = {"tenant_slug": tenant_a.slug}
        for kwarg in _object_kwargs(route):
            if kwarg not in cache:
                cache[kwarg] = KWARG_FACTORIES[kwarg](tenant_a)
            values[kwarg] = cache[kwarg].pk
        path = _fill(route, values)
        assert_speaks(client.get(path), language, msgids_by_language[language], path)
        # The same URL asked by htmx: some answer with a partial instead of the page.
        partial = client.get(path, HTTP_HX_REQUEST="true")
        assert_speaks(partial, language, msgids_by_language[language], f"{path} (htmx)")
        checked += 1
    for path in HTMX_WITH_QUERY:
        path = path.format(slug=tenant_a.slug)
        partial = client.get(path, HTTP_HX_REQUEST="true")
        assert_speaks(partial, language, msgids_by_language[language], path)
    for path in SIGNED_IN_ACCOUNT_PAGES:
        assert_speaks(client.get(path), language, msgids_by_language[language], path)
    assert checked > 20


@pytest.mark.django_db
@pytest.mark.parametrize("language", SHIPPED)
def test_the_sign_in_pages_follow_the_browser_language(language, msgids_by_language):
    client = Client(headers={"accept-language": f"{language},en;q=0.5"})
    for path in ACCOUNT_PAGES:
        assert_speaks(client.get(path), language, msgids_by_language[language], path)
