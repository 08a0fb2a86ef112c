"""Signal keyword lists: the shipped starting list and CSV/JSON imports by admins.

Accepted files (UTF-8, at most MAX_ROWS keywords):

- JSON: `{"keywords": [{"signal", "text", "language"?, "mode"?, "accent_insensitive"?}, …]}`
  or just the list.
- CSV with a header row: `signal,text[,language,mode,accent_insensitive]`.

An import is all or nothing: every problem is reported with its line (CSV) or item (JSON)
number and nothing is saved until the whole file is valid.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inbox.automation.keyword_versions import SIGNALS, keywords_changed
from tenants.services import audit_log_record

from .models import KEYWORD_SIGNALS, SignalKeyword

SHIPPED_PATH = Path(__file__).resolve().parent / "data" / "signal_keywords.json"
MAX_ROWS = 20_000
MAX_BYTES = 2_000_000
MAX_ERRORS_SHOWN = 20
TRUE = {"1", "true", "yes", "y", "x"}
FALSE = {"", "0", "false", "no", "n"}


@dataclass(frozen=True)
class KeywordRow:
    signal: str
    text: str
    language: str = ""
    mode: str = SignalKeyword.Mode.WHOLE_WORD
    accent_insensitive: bool = False


def _row(item: dict, where: str, errors: list[str]) -> KeywordRow | None:
    signal = str(item.get("signal") or "").strip().lower()
    text = str(item.get("text") or "").strip()
    language = str(item.get("language") or "").strip().lower()
    mode = str(item.get("mode") or SignalKeyword.Mode.WHOLE_WORD).strip().lower()
    accent = item.get("accent_insensitive", False)
    problems = []
    if signal not in KEYWORD_SIGNALS:
        problems.append(
            _("unknown signal “%(s)s” (expected one of: %(all)s)")
            % {"s": signal, "all": ", ".join(KEYWORD_SIGNALS)}
        )
    if not text:
        problems.append(_("the keyword text is empty"))
    elif len(text) > 200:
        problems.append(_("the keyword is longer than 200 characters"))
    if len(language) > 8:
        problems.append(_("the language code “%(l)s” is too long") % {"l": language})
    if mode not in SignalKeyword.Mode.values:
        problems.append(
            _("unknown mode “%(m)s” (expected one of: %(all)s)")
            % {"m": mode, "all": ", ".join(SignalKeyword.Mode.values)}
        )
    if isinstance(accent, str):
        if accent.strip().lower() in TRUE:
            accent = True
        elif accent.strip().lower() in FALSE:
            accent = False
        else:
            problems.append(_("accent_insensitive must be true or false"))
    elif not isinstance(accent, bool):
        problems.append(_("accent_insensitive must be true or false"))
    if problems:
        errors.append(f"{where}: " + "; ".join(problems))
        return None
    return KeywordRow(signal, text, language, mode, bool(accent))


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 2 MB."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text."))


def _finish(rows: list[KeywordRow], errors: list[str]) -> list[KeywordRow]:
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > MAX_ERRORS_SHOWN:
            shown.append(_("…and %(n)d more problems.") % {"n": len(errors) - MAX_ERRORS_SHOWN})
        raise ValidationError(shown)
    if not rows:
        raise ValidationError(_("The file contains no keywords."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("At most %(n)d keywords per file.") % {"n": MAX_ROWS})
    return rows


def parse_json(raw: bytes) -> list[KeywordRow]:
    try:
        data = json.loads(_decode(raw))
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("The JSON is not valid (line %(l)d, column %(c)d): %(m)s")
            % {"l": exc.lineno, "c": exc.colno, "m": exc.msg}
        )
    items = data.get("keywords") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValidationError(
            _("Expected a list of keywords, or an object with a “keywords” list.")
        )
    rows, errors = [], []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(_("Item %(n)d: expected an object") % {"n": n})
            continue
        row = _row(item, _("Item %(n)d") % {"n": n}, errors)
        if row:
            rows.append(row)
    return _finish(rows, errors)


def parse_csv(raw: bytes) -> list[KeywordRow]:
    text = _decode(raw)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "signal" not in header or "text" not in header:
        raise ValidationError(
            _("The first line must be a header with at least the columns “signal” and “text”.")
        )
    reader.fieldnames = header
    rows, errors = [], []
    for item in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in item.values() if isinstance(v, str)):
            continue
        row = _row(item, _("Line %(n)d") % {"n": line}, errors)
        if row:
            rows.append(row)
    return _finish(rows, errors)


def parse_upload(name: str, raw: bytes) -> list[KeywordRow]:
    lower = (name or "").lower()
    if lower.endswith(".json"):
        return parse_json(raw)
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return parse_csv(raw)
    raise ValidationError(_("Upload a .csv or .json file."))


def shipped_rows() -> list[KeywordRow]:
    return parse_json(SHIPPED_PATH.read_bytes())


@transaction.atomic
def keywords_import(
    *, tenant, actor, rows: list[KeywordRow], replace: bool = False, origin: str = "imported"
) -> dict:
    qs = SignalKeyword.objects.for_tenant(tenant)
    removed = qs.delete()[0] if replace else 0
    before = qs.count()
    SignalKeyword.objects.bulk_create(
        [
            SignalKeyword(
                tenant=tenant,
                signal=row.signal,
                text=row.text,
                language=row.language,
                mode=row.mode,
                accent_insensitive=row.accent_insensitive,
                origin=origin,
            )
            for row in rows
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    added = qs.count() - before
    keywords_changed(scope=SIGNALS, tenant_id=tenant.pk)
    result = {"added": added, "skipped": len(rows) - added, "removed": removed}
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="signals.keywords_imported",
        details={**result, "origin": origin, "replace": replace},
    )
    return result


def keywords_install_shipped(*, tenant, actor=None) -> dict:
    return keywords_import(
        tenant=tenant, actor=actor, rows=shipped_rows(), origin=SignalKeyword.Origin.SHIPPED
    )


@transaction.atomic
def keyword_delete(*, keyword: SignalKeyword, actor) -> None:
    audit_log_record(
        tenant=keyword.tenant,
        actor=actor,
        action="signals.keyword_deleted",
        details={"signal": keyword.signal, "text": keyword.text},
    )
    keyword.delete()
    keywords_changed(scope=SIGNALS, tenant_id=keyword.tenant_id)
