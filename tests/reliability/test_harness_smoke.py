"""The production-like harness itself, in miniature: uvicorn x2, a Celery worker and beat, its
own Redis, a few seconds of signed webhooks, then the exactly-once check. Needs
``redis-server`` and the machine's PostgreSQL; marked ``integration`` (a real worker)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.requirements import missing

ROOT = Path(__file__).resolve().parents[2]
PORT = 6391


def _port_busy(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url + "/postgres", connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


@pytest.mark.integration
def test_a_short_load_through_the_whole_stack_is_exactly_once(tmp_path):
    pg = os.environ.get("RELIABILITY_PG_URL", "postgres://postgres@127.0.0.1:5432")
    if not shutil.which("redis-server"):
        missing("needs redis-server")
    if _port_busy(PORT):
        missing(f"127.0.0.1:{PORT} is busy (another smoke run?)")
    if not _postgres_answers(pg):
        missing("needs PostgreSQL on 127.0.0.1:5432")
    env = {
        **os.environ,
        "RELIABILITY_REDIS_PORT": str(PORT),
        "RELIABILITY_DB": "parley_reliability_smoke",
        "RELIABILITY_PG_URL": pg,
        "RELIABILITY_RESULTS": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "bench/reliability/run.py",
            "load",
            "--seconds",
            "6",
            "--rate",
            "5",
            "--warmup",
            "2",
            "--reply-rate",
            "1",
            "--drain",
            "90",
            "--retry-window",
            "10",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    data = json.loads((tmp_path / "load.json").read_text())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert data["check"]["exactly_once"], data["check"]
    assert data["load"]["status_codes"] == {"200": data["load"]["requests"]}
    assert data["check"]["inbound"]["stored"] >= 20
