"""The UI catalogues: extract, compile and check them (bin/translations; docs/i18n/README.md).

Extraction is Django's makemessages (GNU gettext's xgettext and msgmerge). Compiling is pure
Python (polib), and the compiled .mo files are committed, so a fresh clone needs no gettext to
run. The check compares msgids only — never the file:line references, which move with the code.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale"
VENDOR_DIR = BASE_DIR / "locale_vendor"
LANGUAGES = ["vi", "th", "id", "cs", "ja"]
DOMAINS = ["django", "djangojs"]
IGNORED = [
    ".venv",
    ".data",
    "tests",
    "bench",
    "docs",
    "staticfiles",
    "node_modules",
    "locale",
    "locale_vendor",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\{\s*[\w.]+|<[^>]+>")


def catalogue_path(language: str, domain: str, suffix: str = "po") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.{suffix}"


def entry_key(entry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def live_entries(po) -> list:
    return [e for e in po if not e.obsolete and e.msgid]


def makemessages(project_dir: Path, languages: list[str]) -> None:
    """Run makemessages in project_dir for these languages, both domains."""
    common = [f"--ignore={name}" for name in IGNORED] + ["--add-location=file", "--no-obsolete"]
    for domain in DOMAINS:
        command = [sys.executable, "manage.py", "makemessages", "-d", domain, *common]
        for language in languages:
            command += ["-l", language]
        subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
            command, cwd=project_dir, check=True, capture_output=True, text=True
        )


def extract() -> None:
    makemessages(BASE_DIR, LANGUAGES)
    for language in LANGUAGES:
        for domain in DOMAINS:
            po = polib.pofile(str(catalogue_path(language, domain)))
            po.metadata_is_fuzzy = False  # makemessages marks a new header fuzzy
            po.save()
    compile_catalogues()


def all_catalogues() -> list[tuple[str, Path]]:
    """(label, .po path) of every catalogue Parley ships: its own and the vendor ones."""
    ours = [
        (f"{language}/{domain}", catalogue_path(language, domain))
        for language in LANGUAGES
        for domain in DOMAINS
    ]
    vendor = [
        (f"vendor {path.parent.parent.name}", path)
        for path in sorted(VENDOR_DIR.glob("*/LC_MESSAGES/django.po"))
    ]
    return ours + vendor


def compile_catalogues() -> None:
    for _label, path in all_catalogues():
        polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))


def extracted_keys() -> dict[str, set]:
    """The msgids makemessages finds in the source today, per domain (in a scratch copy)."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        raise RuntimeError(
            "GNU gettext is needed to extract strings: apt-get install -y gettext "
            "(bin/setup --with-browser installs it when run as root)."
        )
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "parley"
        shutil.copytree(
            BASE_DIR,
            copy,
            ignore=shutil.ignore_patterns(*IGNORED, ".git", "__pycache__", "*.pyc", "media"),
            symlinks=True,
        )
        (copy / "locale").mkdir()
        makemessages(copy, [LANGUAGES[0]])
        found = {}
        for domain in DOMAINS:
            po = polib.pofile(str(copy / "locale" / LANGUAGES[0] / "LC_MESSAGES" / f"{domain}.po"))
            found[domain] = {entry_key(e) for e in live_entries(po)}
        return found


@dataclass
class Problems:
    not_in_catalogues: list = field(default_factory=list)
    untranslated: list = field(default_factory=list)
    fuzzy: list = field(default_factory=list)
    placeholders: list = field(default_factory=list)
    stale_mo: list = field(default_factory=list)

    def __bool__(self):
        return any(vars(self).values())

    def report(self) -> str:
        lines = []
        for name, items in vars(self).items():
            if items:
                lines.append(f"{name.replace('_', ' ')} ({len(items)}):")
                lines += [f"  {item}" for item in items[:40]]
                if len(items) > 40:
                    lines.append(f"  … and {len(items) - 40} more")
        return "\n".join(lines)


def translations(entry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural.get(i, "") for i in sorted(entry.msgstr_plural)] or [""]
    return [entry.msgstr]


def check(*, with_extraction: bool = True) -> Problems:
    problems = Problems()
    source = extracted_keys() if with_extraction else None
    for label, path in all_catalogues():
        entries = live_entries(polib.pofile(str(path)))
        domain = path.stem
        if source is not None and not label.startswith("vendor"):
            known = {entry_key(e) for e in entries}
            for key in sorted(source[domain] - known):
                problems.not_in_catalogues.append(f"{label}: {key[1]!r}")
        for entry in entries:
            where = f"{label}: {entry.msgid!r}"
            if "fuzzy" in entry.flags:
                problems.fuzzy.append(where)
            texts = translations(entry)
            if not all(text.strip() for text in texts):
                problems.untranslated.append(where)
                continue
            wanted = sorted(PLACEHOLDER.findall(entry.msgid))
            wanted_plural = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
            for text in texts:
                found = sorted(PLACEHOLDER.findall(text))
                if found != wanted and found != wanted_plural:
                    problems.placeholders.append(f"{where} → {text!r}")
        mo_path = path.with_suffix(".mo")
        compiled = polib.mofile(str(mo_path)) if mo_path.exists() else []
        compiled_map = {entry_key(e): translations(e) for e in compiled if e.msgid}
        if any(compiled_map.get(entry_key(e)) != translations(e) for e in entries):
            problems.stale_mo.append(f"{label}: run bin/translations compile")
    return problems


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract()
        return 0
    if command == "compile":
        compile_catalogues()
        return 0
    if command == "check":
        problems = check()
        print(problems.report() or "The catalogues are complete.")
        return 1 if problems else 0
    print("usage: python -m config.translations extract|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
