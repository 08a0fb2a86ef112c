"""The keyword engine's C part: ``kwscan.c``, the tables generated for it
(``gen_tables.py``) and its build (``build.py``, run by ``bin/setup``).

``tables_hash()`` names what the tables are made of; the built module carries the hash it
was built with. ``built_module()`` answers the module only when both agree, so a module left
over from older sources is never used with newer ones (``keywords.py`` falls back to Python,
``build.py --if-stale`` rebuilds it).
"""

from __future__ import annotations

import hashlib
import importlib
import unicodedata
from pathlib import Path
from types import ModuleType

_AUTOMATION = Path(__file__).resolve().parent.parent
SOURCES = (
    _AUTOMATION / "normalize.py",
    _AUTOMATION / "_unicode_tables.py",
    _AUTOMATION / "native" / "gen_tables.py",
    _AUTOMATION / "native" / "kwscan.c",
)


def tables_hash() -> str:
    digest = hashlib.sha256(unicodedata.unidata_version.encode())
    for path in SOURCES:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def built_module() -> tuple[ModuleType | None, str]:
    """``(module, "")`` when the C scanner is built from the current sources, else
    ``(None, why not)``."""
    try:
        module = importlib.import_module("inbox.automation._kwscan")
    except ImportError:
        return None, "the C scanner is not built"
    if tables_hash() != module.TABLES_HASH:
        return None, "the C scanner was built from older sources"
    return module, ""
