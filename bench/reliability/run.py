"""Load and fault-injection runs against Parley served as in production, on loopback.

    python bench/reliability/run.py load            [--seconds 600] [--rate 40]
    python bench/reliability/run.py redis           [--seconds 180] [--down 60]
    python bench/reliability/run.py worker-kill     [--seconds 120] [--kills 1]
    python bench/reliability/run.py provider-errors [--seconds 120] [--failures 40]
    python bench/reliability/run.py tiktok-down     [--seconds 120]
    python bench/reliability/run.py postgres        [--seconds 120] [--down 20]

Options common to all: ``--app-dir`` (the Parley checkout to run; default this one),
``--rate`` (webhooks/s), ``--reply-rate`` (agent replies/s), ``--drain`` (max seconds to wait
for the backlog after the load). Every run ends with the exactly-once check
(bench/reliability/check.py), prints a markdown summary and writes
``bench/reliability/results/<scenario>.json``. Everything is bounded in time, binds to
127.0.0.1 only, uses its own Redis (port 6390, db 7) and its own database
(``parley_reliability_load``; the ``postgres`` scenario runs its own throwaway PostgreSQL) and
stops every process it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from bench.reliability import check as checks  # noqa: E402
from bench.reliability.loadgen import FairnessGenerator, Generator, run_load  # noqa: E402
from bench.reliability.stack import (  # noqa: E402
    ACCOUNTS,
    META_SECRET,
    RESULTS,
    TIKTOK_SECRET,
    Stack,
)


def run_async(coro):
    """The load generator's loop: uvloop's where installed (uvicorn's own choice too), as the
    generator's CPU is taken from the machine it loads."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


class Timeline:
    """Fault actions at offsets (seconds after the load starts), run in a thread."""

    def __init__(self) -> None:
        self.actions: list[tuple[float, str, callable]] = []
        self.log: list[dict] = []
        self.start = 0.0

    def at(self, offset: float, name: str, action) -> None:
        self.actions.append((offset, name, action))

    def run(self, start: float) -> threading.Thread:
        self.start = start

        def loop() -> None:
            for offset, name, action in sorted(self.actions, key=lambda a: a[0]):
                delay = start + offset - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                t = round(time.monotonic() - start, 1)
                try:
                    detail = action()
                    self.log.append({"t": t, "action": name, "detail": detail})
                except Exception as exc:  # noqa: BLE001
                    self.log.append({"t": t, "action": name, "error": repr(exc)})
                    traceback.print_exc()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread


def inject_failures(
    stack: Stack,
    *,
    count: int,
    kinds=("http_500", "timeout"),
    provider: str = "",
    path_contains: str = "",
) -> str:
    with stack.db() as conn:
        for i in range(count):
            conn.execute(
                "INSERT INTO inbox_simulatorfailure (kind, code, provider, path_contains, "
                "created_at) VALUES (%s, '', %s, %s, now())",
                [kinds[i % len(kinds)], provider, path_contains],
            )
    return f"{count} x {'/'.join(kinds)} on {provider or 'all'} {path_contains}"


def scenario_timeline(args, stack: Stack) -> Timeline:
    tl = Timeline()
    s = args.seconds
    if args.scenario == "redis":
        tl.at(s * 0.25, "redis stopped", lambda: stack.redis_stop() or "SIGKILL own redis")
        tl.at(s * 0.25 + args.down, "redis started", lambda: stack.redis_start() or "empty")
    elif args.scenario == "worker-kill":
        # One kill at 40 % of the load, or --kills N spread over 20–80 % (each restarted 5 s
        # later): a kill lands at a random moment of the worker's work, so several give a
        # figure for how often one falls between TikTok's answer and its recording.
        offsets = (
            [s * 0.4]
            if args.kills <= 1
            else [s * (0.2 + 0.6 * i / (args.kills - 1)) for i in range(args.kills)]
        )
        kill_send = args.kill_target in ("send-worker", "both")
        if kill_send and not args.send_threads:
            raise SystemExit("--kill-target send-worker needs --send-threads N")
        for offset in offsets:
            if args.kill_target in ("worker", "both"):
                tl.at(offset, "worker SIGKILLed", lambda: stack.worker_kill() or "killpg SIGKILL")
                tl.at(offset + 5, "worker restarted", lambda: stack.worker_start() or "restarted")
            if kill_send:
                tl.at(
                    offset,
                    f"send worker SIGKILLed mid-send ({args.kill_when})",
                    lambda: kill_mid_send(stack, when=args.kill_when),
                )
                tl.at(
                    offset + 5,
                    "send worker restarted",
                    lambda: stack.send_worker_start() or "restarted",
                )
    elif args.scenario == "provider-errors":
        tl.at(
            s * 0.25,
            "provider failures injected",
            lambda: inject_failures(stack, count=args.failures),
        )
    elif args.scenario == "tiktok-down":
        # The Events API answers 503 to every call for a simulated hour: the outage lasts
        # 60 real seconds while the signals' clock runs 60x faster (every pending report's
        # next attempt and the connection's throttle move one minute closer each second).
        clock = FastClock(stack, factor=60.0)
        tl.at(s * 0.15, "TikTok Events API down (503)", lambda: tiktok_ads_down(stack, True))
        tl.at(s * 0.15, "signals clock x60", clock.start)
        tl.at(s * 0.15 + 60, "TikTok Events API back", lambda: tiktok_ads_down(stack, False))
        tl.at(s * 0.15 + 60, "signals clock x1", clock.stop)
    elif args.scenario == "postgres":
        tl.at(s * 0.3, "postgres stopped", lambda: stack.postgres_stop() or "pg_ctl stop -m fast")
        tl.at(
            s * 0.3 + args.down,
            "postgres started",
            lambda: stack.postgres_start() or "pg_ctl start",
        )
    return tl


# A fresh claim (not one an earlier kill left behind).
CLAIMED = (
    "SELECT coalesce(array_agg(id), '{}') FROM inbox_message "
    "WHERE status = 'sending' AND updated_at > now() - interval '2 seconds'"
)
# A fresh claim whose send the fake provider has already accepted (a 200 for its recipient and
# text after the claim): the provider has it, Parley has not recorded it yet.
ACCEPTED = """
WITH r AS (
    SELECT at, CASE WHEN left(body, 1) = '{' THEN body::jsonb END AS b
    FROM inbox_simulatorrequest
    WHERE status = 200 AND method = 'POST' AND at > now() - interval '2 seconds'
)
SELECT coalesce(array_agg(DISTINCT m.id), '{}') FROM inbox_message m
JOIN inbox_channel c ON c.id = m.channel_id
JOIN inbox_conversation v ON v.id = m.conversation_id
LEFT JOIN inbox_contactidentity i ON i.channel_id = m.channel_id AND i.contact_id = v.contact_id
JOIN r ON r.at >= m.updated_at
WHERE m.status = 'sending' AND m.updated_at > now() - interval '2 seconds'
  AND coalesce(r.b -> 'text' ->> 'body', r.b -> 'message' ->> 'text') = m.text
  AND coalesce(r.b ->> 'to', r.b -> 'recipient' ->> 'id', r.b ->> 'recipient')
      = coalesce(CASE WHEN c.provider = 'tiktok' THEN v.provider_conversation_id END,
                 i.external_id)
"""


def kill_mid_send(stack: Stack, *, when: str = "claimed", wait: float = 15.0) -> dict:
    """SIGKILL the send worker (its process group: every thread dies at once) the moment a
    reply is claimed (``sending``: the claim is committed, the provider's answer is not yet
    recorded) — or, ``when="accepted"``, the moment the fake provider has accepted a claimed
    send that Parley has not recorded yet — and say which claims the kill left behind: the
    rows still ``sending`` a second later. The check then shows what became of each (sent
    once, twice, or not at all)."""
    deadline = time.monotonic() + wait
    query = ACCEPTED if when == "accepted" else CLAIMED
    with stack.db() as conn:
        in_flight: list[int] = []
        while time.monotonic() < deadline and not in_flight:
            in_flight = conn.execute(query).fetchone()[0]
            if not in_flight:
                time.sleep(0.002)
        stack.send_worker_kill()
        time.sleep(1.0)
        orphaned = conn.execute(
            "SELECT coalesce(array_agg(id), '{}') FROM inbox_message "
            "WHERE status = 'sending' AND id = ANY(%s)",
            [in_flight],
        ).fetchone()[0]
    return {"sending_at_kill": in_flight, "still_sending_1s_later": orphaned}


def tiktok_ads_down(stack: Stack, down: bool) -> str:
    with stack.db() as conn:
        if down:
            conn.execute(
                "INSERT INTO signals_app_faketiktokbehaviour (kind, code, latency_ms, remaining, "
                "path_contains, created_at) VALUES ('http_503', 0, 0, NULL, 'event/track', now())"
            )
            return "every event/track call answers 503"
        n = conn.execute("DELETE FROM signals_app_faketiktokbehaviour").rowcount
        return f"{n} behaviour(s) removed"


class FastClock:
    """Simulated time for the signals outbox: moves pending reports' next attempts and the
    connection's throttle earlier by ``factor`` seconds per real second."""

    def __init__(self, stack: Stack, factor: float) -> None:
        self.stack, self.factor = stack, factor
        self.running = threading.Event()
        self.ticks = 0

    def start(self) -> str:
        self.running.set()
        threading.Thread(target=self._loop, daemon=True).start()
        return f"x{self.factor:.0f}"

    def stop(self) -> str:
        self.running.clear()
        return f"{self.ticks} ticks"

    def _loop(self) -> None:
        shift = f"{self.factor * 2:.0f} seconds"
        while self.running.is_set():
            time.sleep(2)
            try:
                with self.stack.db() as conn:
                    conn.execute(
                        "UPDATE signals_app_signalreport SET next_attempt_at = "
                        "next_attempt_at - %s::interval WHERE status = 'pending'",
                        [shift],
                    )
                    conn.execute(
                        "UPDATE signals_app_tiktokadsconnection SET throttled_until = "
                        "throttled_until - %s::interval WHERE throttled_until IS NOT NULL",
                        [shift],
                    )
                self.ticks += 1
            except Exception:  # noqa: BLE001
                traceback.print_exc()


class Sampler:
    """Every 5 s: the backlog (pending webhook events, queued/sending replies, pending
    signals), so the recovery time after a fault can be read off the timeline."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.samples: list[dict] = []
        self.running = threading.Event()
        self.start_time = 0.0

    def start(self, start_time: float) -> None:
        self.start_time = start_time
        self.running.set()
        threading.Thread(target=self._loop, daemon=True).start()

    def stop(self) -> None:
        self.running.clear()

    def _loop(self) -> None:
        while self.running.is_set():
            t = round(time.monotonic() - self.start_time, 1)
            try:
                with self.stack.db() as conn:
                    events = conn.execute(
                        "SELECT count(*) FROM inbox_webhookevent WHERE status = 'pending'"
                    ).fetchone()[0]
                    sends = conn.execute(
                        "SELECT count(*) FROM inbox_message WHERE status IN ('queued','sending')"
                    ).fetchone()[0]
                    signals = 0
                    if checks._table_exists(conn, "signals_app_signalreport"):
                        signals = conn.execute(
                            "SELECT count(*) FROM signals_app_signalreport WHERE status = 'pending'"
                        ).fetchone()[0]
                self.samples.append({"t": t, "events": events, "sends": sends, "signals": signals})
            except Exception as exc:  # noqa: BLE001 - the database may be down
                self.samples.append({"t": t, "error": type(exc).__name__})
            time.sleep(5)


def _clear_failures(stack: Stack) -> str:
    with stack.db() as conn:
        n = conn.execute("DELETE FROM inbox_simulatorfailure").rowcount
    return f"{n} unused failures cleared"


def run(args) -> dict:
    own_pg = args.scenario == "postgres"
    stack = Stack(
        app_dir=Path(args.app_dir),
        own_postgres=own_pg,
        worker_concurrency=args.workers,
        send_threads=args.send_threads,
    )
    result: dict = {
        "scenario": args.scenario,
        "rate": args.rate,
        "seconds": args.seconds,
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    try:
        t0 = time.monotonic()
        result["seed"] = stack.start()
        result["startup_seconds"] = round(time.monotonic() - t0, 1)
        if args.reply_rate > 0:
            stack.replier_start(args.seconds, args.reply_rate)
        generator = Generator(
            accounts=ACCOUNTS, tiktok_secret=TIKTOK_SECRET, meta_secret=META_SECRET
        )
        if args.scenario == "fairness":
            out = stack.django_script(HERE / "django_side.py", "seed_quiet", str(args.quiet))
            quiet_accounts = json.loads(out.strip().splitlines()[-1])["accounts"]
            result["fairness"] = {"quiet_tenants": args.quiet, "busy_factor": args.busy_factor}
            generator = FairnessGenerator(generator, quiet_accounts, args.busy_factor)
        # Warm-up (imports, connection pools in both uvicorn workers): delivered and checked
        # like the rest, but its latencies are not part of the figures.
        warm = run_async(
            run_load(
                base_url=stack.base_url,
                generator=generator,
                rate=max(2.0, args.rate / 4),
                seconds=args.warmup,
                retry_until=args.warmup + 30,
            )
        )
        timeline = scenario_timeline(args, stack)
        sampler = Sampler(stack)
        start = time.monotonic()
        timeline.run(start)
        sampler.start(start)
        stats = run_async(
            run_load(
                base_url=stack.base_url,
                generator=generator,
                rate=args.rate,
                seconds=args.seconds,
                retry_until=args.seconds + args.retry_window,
            )
        )
        load_end = time.monotonic()
        result["timeline"] = timeline.log
        result["warmup"] = warm.summary()
        result["load"] = stats.summary()
        loadgen = {
            "expected_messages": {
                p: warm.expected_messages[p] + ids for p, ids in stats.expected_messages.items()
            },
            "keyword_messages": warm.keyword_messages + stats.keyword_messages,
            "signal_messages": warm.signal_messages + stats.signal_messages,
        }
        if "replier" in stack.procs:
            stack.procs["replier"].wait(timeout=args.seconds + 120)
        with stack.db() as conn:
            result["drain"] = checks.drain(conn, timeout=args.drain)
            result["drain"]["seconds_after_load_end"] = round(time.monotonic() - load_end, 1)
            result["check"] = checks.check(conn, loadgen)
            result["auto_reply_latency"] = checks.auto_reply_latency(conn, stats.keyword_sent_at)
            claimed = [
                mid
                for entry in timeline.log
                if isinstance(entry.get("detail"), dict)
                for mid in entry["detail"].get("sending_at_kill", [])
            ]
            if claimed:
                result["claimed_at_kill"] = checks.replies_fate(conn, claimed)
            if args.scenario == "fairness":
                quiet = set(stats.quiet_keyword_messages)
                result["fairness"]["quiet_auto_reply_latency"] = checks.auto_reply_latency(
                    conn, {m: t for m, t in stats.keyword_sent_at.items() if m in quiet}
                )
        sampler.stop()
        result["backlog_samples"] = sampler.samples
        replier_log = RESULTS / "logs" / "replier.log"
        if replier_log.exists():
            lines = [ln for ln in replier_log.read_text().splitlines() if ln.startswith("{")]
            result["replier"] = json.loads(lines[-1]) if lines else None
    finally:
        stack.stop()
    return result


def markdown(result: dict) -> str:
    load = result.get("load", {})
    check = result.get("check", {})
    lines = [
        f"### {result['scenario']} — {result['started']}",
        "",
        f"- load: {result['seconds']} s at {result['rate']} webhooks/s → "
        f"{load.get('deliveries')} deliveries ({load.get('by_kind')}), "
        f"{load.get('requests')} requests incl. provider retries; "
        f"status codes {load.get('status_codes')}",
        f"- webhook latency: p50 {load.get('p50_ms')} ms, p90 {load.get('p90_ms')} ms, "
        f"p99 {load.get('p99_ms')} ms, max {load.get('max_ms')} ms",
        f"- timeline: {result.get('timeline')}",
        f"- drain after load: {result.get('drain')}",
        f"- inbound: {check.get('inbound')}",
        f"- webhook events: {check.get('webhook_events')}",
        f"- outbound: {check.get('outbound')}; replier: {result.get('replier')}",
        f"- auto-replies: {check.get('auto_replies')}",
        f"- webhook → auto-reply at the fake (keyword messages of the load): "
        f"{result.get('auto_reply_latency')}",
        f"- fairness: {result.get('fairness', 'n/a')}",
        f"- replies claimed when a worker was killed: {result.get('claimed_at_kill', 'n/a')}",
        f"- signals: {check.get('signals')}",
        f"- **exactly once: {check.get('exactly_once')}** {check.get('problems') or ''}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "scenario",
        choices=[
            "load",
            "redis",
            "worker-kill",
            "provider-errors",
            "tiktok-down",
            "postgres",
            "fairness",
        ],
    )
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--reply-rate", type=float, default=1.0)
    parser.add_argument("--down", type=float, default=None)
    parser.add_argument("--failures", type=int, default=40)
    parser.add_argument("--kills", type=int, default=1, help="worker-kill: how many kills")
    parser.add_argument(
        "--kill-target",
        choices=["worker", "send-worker", "both"],
        default="worker",
        help="worker-kill: which worker (send-worker: at a moment a reply is being sent)",
    )
    parser.add_argument(
        "--kill-when",
        choices=["claimed", "accepted"],
        default="claimed",
        help="send-worker kills: once a reply is claimed, or once the fake accepted it",
    )
    parser.add_argument("--drain", type=float, default=300.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--retry-window", type=float, default=240.0)
    parser.add_argument("--app-dir", default=str(HERE.parent.parent))
    parser.add_argument("--quiet", type=int, default=5, help="fairness: quiet tenants")
    parser.add_argument(
        "--busy-factor", type=float, default=10.0, help="fairness: busy ÷ each quiet (0: none)"
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery worker concurrency")
    parser.add_argument(
        "--send-threads", type=int, default=0, help="a worker for the send queue (0: none)"
    )
    args = parser.parse_args()
    defaults = {"load": 600, "redis": 180, "postgres": 120}
    args.seconds = args.seconds or defaults.get(args.scenario, 120)
    args.down = args.down or {"redis": 60, "postgres": 20}.get(args.scenario, 0)
    result = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.scenario}.json").write_text(json.dumps(result, indent=2, default=str))
    print(markdown(result))
    sys.exit(0 if result.get("check", {}).get("exactly_once") else 1)


if __name__ == "__main__":
    main()
