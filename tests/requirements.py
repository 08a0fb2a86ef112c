"""What a test needs from the machine (Redis, a free port, PostgreSQL, Chromium).

On a developer's machine a missing service skips the test; under CI (``CI=true``) it fails it,
because `.ci/run` installs and starts everything and a silent skip there would hide a broken
set-up behind a green run."""

from __future__ import annotations

import os

import pytest


def missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI provides this, but: {reason}")
    pytest.skip(reason)
