import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from signals_app.keyword_lists import (
    keywords_import,
    keywords_install_shipped,
    parse_csv,
    parse_json,
    shipped_rows,
)
from signals_app.models import SignalKeyword
from tenants.models import AuditLog

from .conftest import receive, whatsapp_conversation

pytestmark = pytest.mark.django_db


def test_the_starting_list_covers_eight_languages_and_every_signal():
    rows = shipped_rows()
    languages = {"en", "vi", "th", "id", "ms", "cs", "es", "ja"}
    assert {r.language for r in rows} == languages
    for signal in ("payment", "order", "address", "booking", "lead"):
        assert {r.language for r in rows if r.signal == signal} == languages, signal


def test_scripts_without_spaces_are_matched_anywhere_in_the_text():
    rows = shipped_rows()
    assert {r.mode for r in rows if r.language == "ja"} == {"contains"}
    assert {r.mode for r in rows if r.language == "th" and r.text != "cf"} == {"contains"}


def test_installing_the_starting_list_twice_adds_nothing_the_second_time(tenant_a):
    first = keywords_install_shipped(tenant=tenant_a)
    second = keywords_install_shipped(tenant=tenant_a)
    assert first["added"] > 150
    assert second["added"] == 0


def test_a_csv_file_is_imported(tenant_a):
    raw = (
        "signal,text,language,mode,accent_insensitive\n"
        "payment,đã thanh toán,vi,whole_word,true\n"
        "order,chốt,vi,contains,\n"
        "\n"
        "lead,báo giá,vi,,no\n"
    ).encode()
    rows = parse_csv(raw)
    assert [(r.signal, r.text, r.mode, r.accent_insensitive) for r in rows] == [
        ("payment", "đã thanh toán", "whole_word", True),
        ("order", "chốt", "contains", False),
        ("lead", "báo giá", "whole_word", False),
    ]
    result = keywords_import(tenant=tenant_a, actor=None, rows=rows)
    assert result == {"added": 3, "skipped": 0, "removed": 0}
    assert AuditLog.objects.filter(tenant=tenant_a, action="signals.keywords_imported").exists()


def test_csv_errors_name_their_lines_and_nothing_is_saved():
    raw = (
        b"signal,text,mode\n"
        b"payment,paid,whole_word\n"
        b"paymnt,paid,whole_word\n"
        b"order,,whole_word\n"
        b"order,buy,fuzzy\n"
    )
    with pytest.raises(ValidationError) as excinfo:
        parse_csv(raw)
    messages = excinfo.value.messages
    assert messages[0].startswith("Line 3: unknown signal “paymnt”")
    assert messages[1] == "Line 4: the keyword text is empty"
    assert messages[2].startswith("Line 5: unknown mode “fuzzy”")


def test_a_csv_without_the_header_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        parse_csv(b"payment,paid\n")
    assert "header" in excinfo.value.messages[0]


def test_a_json_file_is_imported_and_its_errors_name_the_items():
    rows = parse_json(json.dumps([{"signal": "booking", "text": "จองคิว"}]).encode())
    assert rows[0].signal == "booking" and rows[0].mode == "whole_word"
    bad = json.dumps(
        {"keywords": [{"signal": "booking", "text": "x", "accent_insensitive": "maybe"}, 7]}
    )
    with pytest.raises(ValidationError) as excinfo:
        parse_json(bad.encode())
    assert excinfo.value.messages == [
        "Item 1: accent_insensitive must be true or false",
        "Item 2: expected an object",
    ]
    with pytest.raises(ValidationError) as excinfo:
        parse_json(b'{"keywords": [')
    assert "not valid" in excinfo.value.messages[0]


def test_an_admin_uploads_a_list_and_it_is_used_at_once(tenant_a, admin_a, client_for, connect):
    connect(tenant_a)
    c = client_for(admin_a)
    upload = SimpleUploadedFile(
        "signals.csv", b"signal,text\nbooking,hold a table\n", content_type="text/csv"
    )
    response = c.post(f"/t/{tenant_a.slug}/signals/keywords/import/", {"file": upload})
    assert response.status_code == 302
    assert SignalKeyword.objects.filter(tenant=tenant_a, text="hold a table").exists()
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "Could you hold a table for 4?")
    assert conversation.signal_reports.get().signal == "booking"
    page = c.get(f"/t/{tenant_a.slug}/signals/keywords/?signal=booking")
    assert b"hold a table" in page.content


def test_an_invalid_upload_shows_every_problem(tenant_a, admin_a, client_for):
    c = client_for(admin_a)
    upload = SimpleUploadedFile("k.csv", b"signal,text\nnope,x\n", content_type="text/csv")
    response = c.post(f"/t/{tenant_a.slug}/signals/keywords/import/", {"file": upload}, follow=True)
    assert b"Line 2: unknown signal" in response.content
    assert not SignalKeyword.objects.filter(tenant=tenant_a).exists()
    upload = SimpleUploadedFile("k.xlsx", b"PK..", content_type="application/zip")
    response = c.post(f"/t/{tenant_a.slug}/signals/keywords/import/", {"file": upload}, follow=True)
    assert b"Upload a .csv or .json file." in response.content


def test_a_keyword_is_deleted(tenant_a, owner_a, client_for):
    keyword = SignalKeyword.objects.create(tenant=tenant_a, signal="lead", text="quote")
    c = client_for(owner_a)
    c.post(f"/t/{tenant_a.slug}/signals/keywords/{keyword.pk}/delete/")
    assert not SignalKeyword.objects.filter(pk=keyword.pk).exists()
