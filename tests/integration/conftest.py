"""Integration tests run a real Celery worker against the real Redis.

They use REDIS_URL (or redis://127.0.0.1:6379/15) and are skipped when no Redis answers.
The worker is a subprocess using the test database, so tests that use it must commit their
data: mark them `@pytest.mark.django_db(transaction=True)`.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.requirements import missing

ROOT = Path(__file__).resolve().parents[2]


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def celery_worker_process(settings, django_db_blocker):
    """A real `celery worker` on the real Redis, pointed at the test database.

    Yields the Celery app configured to send to it (not eager)."""
    from django.db import connection

    from config.celery import app

    url = _redis_url()
    if not _redis_answers(url):
        missing(f"no Redis at {url}")
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        REDIS_URL=url,
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        PYTHONUNBUFFERED="1",
    )
    if db["HOST"] and db["HOST"].startswith("/"):
        # A Unix-socket server (the embedded PostgreSQL).
        from urllib.parse import quote

        env["DATABASE_URL"] = f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"
    # Keep the worker's queue private to this test run.
    import redis

    redis.Redis.from_url(url).flushdb()
    log_path = ROOT / ".data" / "celery-test-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    _drop_broker_connections(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = url
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the Celery worker exited: see {log.name}")
            if app.control.ping(timeout=0.5):
                break
        else:
            raise RuntimeError("the Celery worker did not answer within 90 s")
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        app.conf.broker_url, app.conf.task_always_eager = previous
        _drop_broker_connections(app)


def _drop_broker_connections(app) -> None:
    """Forget pooled broker connections, so the next send uses the broker_url set now
    (an earlier test may have connected to another broker)."""
    app._pool = None  # not closed: other holders may still release into it
    app.amqp._producer_pool = None
