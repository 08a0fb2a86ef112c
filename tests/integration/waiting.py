"""Waiting for a real worker: poll a check until it holds (a deadline, not a sleep)."""

from __future__ import annotations

import time

import pytest


def wait_for(check, seconds: float = 60):
    """The check's first truthy result, polled every 0.1 s; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail("timed out waiting for the worker")
