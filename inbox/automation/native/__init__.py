"""The keyword engine's C part: ``kwscan.c``, the tables generated for it
(``gen_tables.py``) and its build (``build.py``, run by ``bin/setup``).

``tables_hash()`` names what the tables are made of; the built module carries the hash it
was built with, and ``keywords.py`` uses the module only when both agree, so a module left
over from older sources is never used with newer ones.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

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
