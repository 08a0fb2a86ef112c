"""CI keeps the catalogues complete: nothing to extract that they lack, nothing untranslated.

Msgids are compared, never file:line references, so moving code does not fail this test; adding
or changing a marked string without translating it does (docs/i18n/README.md says what to do).
"""

from config import translations


def test_every_marked_string_is_translated_in_every_shipped_language():
    problems = translations.check()
    assert not problems, (
        "The UI catalogues are incomplete — run bin/translations extract, translate the new "
        "entries in every locale/*/LC_MESSAGES/*.po, then bin/translations compile:\n"
        + problems.report()
    )
