"""The keyword engine is a plain Python package: it imports and matches without Django."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import keywords
from keywords import KeywordMatcher, KeywordSpec, MatchMode, get_matcher

matcher = get_matcher("t", 1, lambda: [
    KeywordSpec("price", "gia", MatchMode.WHOLE_WORD, accent_insensitive=True),
    KeywordSpec("cod", "cod"),
])
assert matcher.matched_keys("Shop ơi GIÁ bao nhiêu, ขอCODได้ไหม") == {"price", "cod"}
project = ("django", "inbox", "signals_app", "tenants", "config", "rest_framework")
loaded = sorted(
    name for name in sys.modules if name.split(".")[0] in project
)
print("loaded:", loaded)
"""


def test_the_engine_imports_and_matches_without_django_configured():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded: []"
