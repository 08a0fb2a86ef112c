"""Where the CPU goes during a reliability run: every process of the run, by kind.

    python bench/reliability/cpuprobe.py RUN_PID OUT.jsonl [--db parley_reliability_load]

Samples every 2 s, until RUN_PID exits: each process in RUN_PID's tree (uvicorn and its
workers, the Celery workers, beat, the replier, Redis, run.py itself with the load generator)
and each PostgreSQL backend connected to the run's database, as cumulative user+system CPU
ticks from ``/proc/<pid>/stat``; plus the database's webhook-event count and the machine's
total CPU from ``/proc/stat``. PostgreSQL backends are attributed to the process holding
the other end of their TCP connection (``ss -tnp``). ``summarize`` turns the samples into
CPU ms per webhook per process kind over a window:

    python bench/reliability/cpuprobe.py summarize OUT.jsonl [--skip 20] [--span 40]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int, int] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    rest = data.rsplit(")", 1)[1].split()
    # rest[0] is the state (field 3); ppid is field 4, utime 14, stime 15.
    return int(rest[1]), int(rest[11]), int(rest[12])


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                kids[st[0]].append(int(name))
    return kids


def _tree(root: int) -> list[int]:
    kids, out, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def kind_of(cmd: str, parent_cmd: str) -> str:
    if "uvicorn" in cmd:
        return "uvicorn supervisor"
    if "multiprocessing" in cmd and "uvicorn" in parent_cmd:
        return "uvicorn worker (web + fakes)"
    if "celery" in cmd or "celery" in parent_cmd:
        node = cmd if "celery" in cmd else parent_cmd
        if " beat" in node:
            return "celery beat"
        if "-Q send" in node:
            return "celery send worker"
        return "celery worker (main)" if "celery" in cmd else "celery worker (child)"
    if "redis-server" in cmd:
        return "redis"
    if "django_side.py reply" in cmd:
        return "replier"
    if "run.py" in cmd:
        return "run.py (load generator, sampler)"
    return cmd[:40] or "?"


def _ports_to_pids() -> dict[int, int]:
    """local TCP port → pid, for connections to PostgreSQL (5432)."""
    try:
        out = subprocess.run(
            ["ss", "-tnpH", "dport", "=", ":5432"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 6:
            continue
        local = parts[3]
        m = re.search(r"pid=(\d+)", line)
        if m:
            found[int(local.rsplit(":", 1)[1])] = int(m.group(1))
    return found


def sample(root: int, db: str, out_path: str) -> None:
    import psycopg

    kinds: dict[int, str] = {}
    pg_owner: dict[int, int] = {}  # backend pid → client pid
    with open(out_path, "w") as out:
        i = 0
        while os.path.exists(f"/proc/{root}"):
            t = time.time()
            procs = {}
            for pid in _tree(root):
                st = _stat(pid)
                if st is None:
                    continue
                if pid not in kinds:
                    kinds[pid] = kind_of(_cmdline(pid), _cmdline(st[0]))
                procs[pid] = st[1] + st[2]
            events, backends = None, {}
            try:
                with psycopg.connect(
                    f"postgres://postgres@127.0.0.1:5432/{db}", autocommit=True, connect_timeout=2
                ) as conn:
                    events = conn.execute("SELECT count(*) FROM inbox_webhookevent").fetchone()[0]
                    rows = conn.execute(
                        "SELECT pid, client_port FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()",
                        [db],
                    ).fetchall()
                if i % 3 == 0 or any(r[0] not in pg_owner for r in rows):
                    ports = _ports_to_pids()
                    for bpid, cport in rows:
                        if cport in ports:
                            pg_owner[bpid] = ports[cport]
                for bpid, _ in rows:
                    st = _stat(bpid)
                    if st:
                        backends[bpid] = st[1] + st[2]
            except Exception as exc:  # noqa: BLE001 - database not there yet
                events = f"{type(exc).__name__}"
            with open("/proc/stat") as f:
                cpu = [int(x) for x in f.readline().split()[1:]]
            out.write(
                json.dumps(
                    {
                        "t": t,
                        "events": events,
                        "procs": procs,
                        "backends": backends,
                        "kinds": {str(p): kinds[p] for p in procs},
                        "pg_owner": {str(b): pg_owner.get(b) for b in backends},
                        "cpu_busy": sum(cpu) - cpu[3] - cpu[4],
                        "cpu_total": sum(cpu),
                        "load": os.getloadavg()[0],
                    }
                )
                + "\n"
            )
            out.flush()
            i += 1
            time.sleep(max(0.0, 2.0 - (time.time() - t)))


def summarize(path: str, skip: float, span: float) -> None:
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    rows = [r for r in rows if isinstance(r["events"], int)]
    # The load window: from the first sample where events grow fast (past the warm-up) + skip.
    rates = [
        (rows[i]["events"] - rows[i - 1]["events"]) / (rows[i]["t"] - rows[i - 1]["t"])
        for i in range(1, len(rows))
    ]
    peak = max(rates)
    start_i = next(i for i, r in enumerate(rates) if r > 0.7 * peak) + 1
    t0 = rows[start_i]["t"] + skip
    a = next(r for r in rows if r["t"] >= t0)
    b = [r for r in rows if r["t"] <= a["t"] + span][-1]
    secs = b["t"] - a["t"]
    n = b["events"] - a["events"]
    kinds: dict[str, str] = {}
    for r in (a, b):
        kinds.update(r["kinds"])
    by_kind: dict[str, float] = defaultdict(float)
    for pid, ticks in b["procs"].items():
        before = a["procs"].get(pid, 0)
        by_kind[kinds[pid]] += (ticks - before) / TICK
    pg_by: dict[str, float] = defaultdict(float)
    for bpid, ticks in b["backends"].items():
        before = a["backends"].get(bpid, 0)
        owner = b["pg_owner"].get(bpid)
        owner_kind = kinds.get(str(owner), f"pid {owner}") if owner else "?"
        pg_by[f"postgres backend ← {owner_kind}"] += (ticks - before) / TICK
    busy = (b["cpu_busy"] - a["cpu_busy"]) / TICK
    print(
        f"window {secs:.0f} s, {n} webhook events stored ({n / secs:.1f}/s), "
        f"load {a['load']:.1f}→{b['load']:.1f}, machine busy {busy:.1f} CPU-s "
        f"({busy / secs:.2f} cores, {1000 * busy / n:.1f} ms/webhook)"
    )
    print("| process kind | CPU s | cores | ms CPU per webhook |")
    print("|---|---|---|---|")
    total = 0.0
    for name, s in sorted({**by_kind, **pg_by}.items(), key=lambda kv: -kv[1]):
        total += s
        print(f"| {name} | {s:.1f} | {s / secs:.2f} | {1000 * s / n:.2f} |")
    print(f"| **sum** | {total:.1f} | {total / secs:.2f} | {1000 * total / n:.2f} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "summarize":
        p = argparse.ArgumentParser()
        p.add_argument("cmd")
        p.add_argument("path")
        p.add_argument("--skip", type=float, default=10)
        p.add_argument("--span", type=float, default=40)
        a = p.parse_args()
        summarize(a.path, a.skip, a.span)
        return
    p = argparse.ArgumentParser()
    p.add_argument("pid", type=int)
    p.add_argument("out")
    p.add_argument("--db", default=os.environ.get("RELIABILITY_DB", "parley_reliability_load"))
    a = p.parse_args()
    sample(a.pid, a.db, a.out)


if __name__ == "__main__":
    main()
