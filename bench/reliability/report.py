"""Markdown table of the latest runs: ``python bench/reliability/report.py [results_dir]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def recovery(result: dict) -> str:
    """Seconds from the last fault action until the backlog was back to what it was before."""
    timeline = [a for a in result.get("timeline", []) if "error" not in a]
    samples = [s for s in result.get("backlog_samples", []) if "events" in s]
    if not timeline or not samples:
        return "—"
    end = max(a["t"] for a in timeline)
    before = [s for s in samples if s["t"] <= timeline[0]["t"]]
    base = max((s["events"] + s["sends"] for s in before), default=0) + 10
    after = [s for s in samples if s["t"] > end]
    peak = max((s["events"] + s["sends"] for s in after), default=0)
    for s in after:
        if s["events"] + s["sends"] <= base and any(
            x["t"] <= s["t"] and x["events"] + x["sends"] == peak for x in after
        ):
            return f"{s['t'] - end:.0f} s (peak backlog {peak})"
    return f"not within the run (peak backlog {peak})"


def resends(result: dict) -> str:
    """Signal copies TikTok received again and deduplicated / events it counted."""
    signals = result.get("check", {}).get("signals")
    if not isinstance(signals, dict) or "counted_by_tiktok" not in signals:
        return "—"
    return f"{signals.get('resent_events', 0)} / {signals['counted_by_tiktok']}"


def row(result: dict) -> str:
    load, check = result.get("load", {}), result.get("check", {})
    faults = "; ".join(f"t={a['t']:.0f}s {a['action']}" for a in result.get("timeline", []))
    codes = ", ".join(f"{n} × {c}" for c, n in sorted(load.get("status_codes", {}).items()))
    verdict = (
        "**yes**"
        if check.get("exactly_once")
        else "**no**: " + "; ".join(check.get("problems", []))
    )
    return (
        f"| {result['scenario']} | {result['seconds']:.0f} s at {result['rate']:.0f}/s "
        f"| {faults or '—'} | {codes} | {load.get('p50_ms')} / {load.get('p99_ms')} ms "
        f"| {recovery(result)} | {result.get('drain', {}).get('seconds')} s "
        f"| {resends(result)} | {verdict} |"
    )


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"
    print(
        "| Scenario | Load | Fault | Webhooks answered | p50 / p99 | Recovery after the fault "
        "| Drain after load end | Signal re-sends (deduplicated by TikTok) / signals counted "
        "| Exactly once? |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for path in sorted(directory.glob("*.json")):
        print(row(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
