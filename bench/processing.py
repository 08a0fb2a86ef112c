"""Processing throughput: one backlog of stored TikTok webhook events through ONE real Celery
worker process (solo pool) on the real Redis and PostgreSQL, with automation (a keyword
auto-reply rule) and TikTok signals (connected, the shipped keyword lists) on — this checkout
against another one (the commit before the batch pipeline), interleaved, each with its own
database on the same server.

    REDIS_URL=redis://127.0.0.1:6379/2 python bench/processing.py \\
        --base-dir /work/wt/pipe-base --pg postgres://postgres@127.0.0.1:5432 \\
        --events 1500 --rounds 2 [--workers 1]

Per run: the events are stored pending (200 customers, a quarter asking the auto-reply keyword,
a quarter with signal words), then woken as the ingest dispatcher does (a task per 20 ids,
``inbox.webhook_events_process``); done = every event processed, every stored customer message
seen by automation and the broker queues ("celery", "send") empty. Reported: events/s; the
worker's CPU ms per event (``/proc``: user + system of the worker processes); PostgreSQL time
per event (``pg_stat_database.active_time`` of the run's database, the bench's own polling
subtracted).
``--workers 2``: two worker processes on one backlog (this checkout only).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis
from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
SIDE = ROOT / "bench" / "processing_side.py"
CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK


def side(app_dir: Path, env: dict, *args: str):
    out = subprocess.run(
        [sys.executable, str(SIDE), *args],
        cwd=app_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


class Poll:
    """The bench's own queries, timed, so their share of the database's time is subtracted."""

    LEFT = """
        SELECT (SELECT count(*) FROM inbox_webhookevent WHERE status = 'pending'),
               (SELECT count(*) FROM inbox_message m
                 WHERE m.direction = 'in' AND m.author_kind = 'customer' AND m.kind = 'message'
                   AND NOT EXISTS (SELECT 1 FROM automation_messageautomation a
                                    WHERE a.message_id = m.id))
    """

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.spent = 0.0

    def query(self, sql: str):
        started = time.perf_counter()
        row = self.conn.execute(sql).fetchone()
        self.spent += time.perf_counter() - started
        return row

    def active_ms(self) -> float:
        return float(
            self.query(
                "SELECT active_time FROM pg_stat_database WHERE datname = current_database()"
            )[0]
            or 0
        )


def start_worker(app_dir: Path, env: dict, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-n",
            f"{name}@%h",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=app_dir,
        env=dict(env, LOG_LEVEL="WARNING"),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def run(
    label: str,
    app_dir: Path,
    db_url: str,
    redis_url: str,
    events: int,
    workers: int,
    timeout: float,
) -> dict:
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    broker = redis.Redis.from_url(redis_url)
    broker.flushdb()
    seeded = side(app_dir, env, "seed")
    procs = [start_worker(app_dir, env, f"bench{i}-{os.getpid()}") for i in range(workers)]
    app = Celery(broker=redis_url)
    try:
        deadline = time.monotonic() + 90
        while len(app.control.ping(timeout=0.5)) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the worker did not start")
        # Warm-up: the worker's first batch builds the keyword automata, imports, connects.
        warm = side(app_dir, env, "make", "60")
        poll = Poll(db_url)
        _wake(app, warm)
        _wait(poll, broker, timeout)
        ids = side(app_dir, env, "make", str(events))
        time.sleep(1.5)  # the stats of the warm-up reach pg_stat_database
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        pg0, spent0 = poll.active_ms(), poll.spent
        t0 = time.perf_counter()
        _wake(app, ids)
        _wait(poll, broker, timeout)
        elapsed = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        spent_polling = poll.spent - spent0
        time.sleep(2.5)  # idle backends flush their statistics within about a second
        pg_ms = poll.active_ms() - pg0 - spent_polling * 1000
    finally:
        for proc in procs:
            stop(proc)
    ids_file = ROOT / "bench" / "results" / "processing-ids.json"
    ids_file.parent.mkdir(parents=True, exist_ok=True)
    ids_file.write_text(json.dumps(ids))
    counts = side(app_dir, env, "left", str(ids_file))
    return {
        "label": label,
        "workers": workers,
        "events": len(ids),
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(ids) / elapsed, 1),
        "worker_cpu_ms_per_event": round(cpu * 1000 / len(ids), 2),
        "postgres_ms_per_event": round(pg_ms / len(ids), 2),
        "seed": seeded,
        "counts": counts,
    }


def _wake(app: Celery, ids: list[int]) -> None:
    for i in range(0, len(ids), 20):  # as the ingest dispatcher wakes the workers
        app.send_task("inbox.webhook_events_process", args=[ids[i : i + 20]])


def _wait(poll: Poll, broker: redis.Redis, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending, automation_left = poll.query(Poll.LEFT)
        # Both broker queues: replies travel on their own ("send") since d67dd23.
        queued = broker.llen("celery") + broker.llen("send")
        if pending == 0 and automation_left == 0 and queued == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"not drained within {timeout} s: {pending} pending")


def ensure_db(pg: str, name: str) -> str:
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{pg}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", default="", help="the checkout to compare against")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-prefix", default="bench_pipe_processing")
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--base-events", type=int, default=0, help="default: --events")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1", help="worker processes; '1,2' alternates")
    parser.add_argument("--timeout", type=float, default=400)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("set REDIS_URL: the benchmark needs a real broker and worker")
    workers = [int(w) for w in args.workers.split(",")]
    trees = [("new", ROOT, args.events, w) for w in workers]
    if args.base_dir:
        trees.insert(0, ("base", Path(args.base_dir).resolve(), args.base_events or args.events, 1))
    results = []
    for round_no in range(args.rounds):
        for label, app_dir, events, n in trees:
            db = ensure_db(args.pg, f"{args.db_prefix}_{label}")
            load = os.getloadavg()[0]
            result = run(label, app_dir, db, redis_url, events, n, args.timeout)
            result.update(round=round_no + 1, load_at_start=round(load, 2))
            results.append(result)
            print(json.dumps(result), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"processing-w{args.workers.replace(',', '-')}.json").write_text(
        json.dumps(results, indent=2)
    )
    print(
        "| round | tree | workers | events | seconds | events/s | worker CPU ms/event | "
        "PostgreSQL ms/event | load at start |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['round']} | {r['label']} | {r['workers']} | {r['events']} | {r['seconds']} | "
            f"{r['events_per_s']} | {r['worker_cpu_ms_per_event']} | "
            f"{r['postgres_ms_per_event']} | {r['load_at_start']} |"
        )


if __name__ == "__main__":
    main()
