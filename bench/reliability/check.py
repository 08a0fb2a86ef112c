"""The exactly-once check, by SQL on Parley's database and the simulator's request log.

1. Every unique customer message the load generator delivered is stored exactly once
   (none missing, none doubled), whatever was redelivered or retried.
2. No webhook event is left pending or failed; none unrouted.
3. Every outbound reply (agent replies from the replier, auto-replies from the automation
   rules) that Parley marks sent was received by the fake provider exactly once (a 200 from
   the fake for that recipient and text), and none was received twice.
4. Every keyword message produced exactly one auto-reply (when the automation app has rules).
5. Every signal report is sent and counted exactly once by the fake TikTok Events API, which
   deduplicates as TikTok does (by event set, event name and event_id, within 48 hours): one
   counted event per report, none counted twice, none counted that Parley did not report.
   Copies of an event TikTok received again (a batch re-sent after a worker died between
   TikTok's answer and Parley recording it) are not a failure — TikTok drops them — and are
   reported as a figure: `signals.resent_events` (and the requests that carried them).
"""

from __future__ import annotations

import json
import time
from collections import Counter

SEND_PATHS = ("business/message/send", "/messages")


def _table_exists(conn, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()[0]


def drain(conn, *, timeout: float, poll: float = 2.0) -> dict:
    """Wait until no webhook event is pending and no outbound message is queued or sending.
    Returns how long it took (the recovery time after a fault)."""
    start = time.monotonic()
    last = {}
    while time.monotonic() - start < timeout:
        try:
            pending = conn.execute(
                "SELECT count(*) FROM inbox_webhookevent WHERE status='pending'"
            ).fetchone()[0]
            outbound = conn.execute(
                "SELECT count(*) FROM inbox_message WHERE status IN ('queued','sending')"
            ).fetchone()[0]
            if _table_exists(conn, "signals_app_signalreport"):
                outbound += conn.execute(
                    "SELECT count(*) FROM signals_app_signalreport WHERE status = 'pending'"
                ).fetchone()[0]
            automation = _automation_not_run(conn)
        except Exception as exc:  # noqa: BLE001 - the database may be coming back
            last = {"error": str(exc)[:200]}
            time.sleep(poll)
            continue
        last = {
            "pending_events": pending,
            "outbound_in_flight": outbound,
            "automation_not_run": automation,
        }
        if pending == 0 and outbound == 0 and automation == 0:
            return {"drained": True, "seconds": round(time.monotonic() - start, 1), **last}
        time.sleep(poll)
    return {"drained": False, "seconds": round(time.monotonic() - start, 1), **last}


def _automation_not_run(conn) -> int:
    """Customer messages that automation has not seen yet (no claim): work still owed. A run
    whose task was lost while the broker was down is caught up by ``automation.sweep``, minutes
    later; the drain must wait for it rather than judge its auto-reply missing."""
    if not _table_exists(conn, "automation_messageautomation"):
        return 0
    return conn.execute(
        "SELECT count(*) FROM inbox_message m WHERE m.direction = 'in' "
        "AND m.author_kind = 'customer' AND m.kind = 'message' "
        "AND m.tenant_id IN (SELECT tenant_id FROM automation_autoreplyrule WHERE enabled) "
        "AND NOT EXISTS (SELECT 1 FROM automation_messageautomation a "
        "WHERE a.message_id = m.id)"
    ).fetchone()[0]


def _send_log(conn) -> Counter:
    """(recipient, text) of every request the fake provider answered 200 to a send."""
    counter: Counter = Counter()
    rows = conn.execute(
        "SELECT path, body FROM inbox_simulatorrequest WHERE status = 200 AND method = 'POST'"
    ).fetchall()
    for path, body in rows:
        if not any(p in path for p in SEND_PATHS):
            continue
        try:
            data = json.loads(body)
        except ValueError:
            continue
        if "business/message/send" in path:
            key = (str(data.get("recipient")), (data.get("text") or {}).get("body", ""))
        elif data.get("messaging_product") == "whatsapp":
            key = (str(data.get("to")), (data.get("text") or {}).get("body", ""))
        else:
            key = (
                str((data.get("recipient") or {}).get("id")),
                (data.get("message") or {}).get("text", ""),
            )
        counter[key] += 1
    return counter


def check(conn, loadgen: dict) -> dict:
    result: dict = {}
    problems: list[str] = []

    # 1. inbound messages, exactly once
    stored = Counter()
    for provider, mid, n in conn.execute(
        "SELECT c.provider, m.provider_message_id, count(*) FROM inbox_message m "
        "JOIN inbox_channel c ON c.id = m.channel_id WHERE m.direction = 'in' "
        "AND m.provider_message_id IS NOT NULL GROUP BY 1, 2"
    ).fetchall():
        stored[(provider, mid)] = n
    expected = {(p, m) for p, ids in loadgen["expected_messages"].items() for m in ids}
    missing = sorted(expected - set(stored))
    doubled = sorted(k for k, n in stored.items() if n > 1)
    unexpected = sorted(set(stored) - expected)
    result["inbound"] = {
        "expected": len(expected),
        "stored": len(stored),
        "missing": len(missing),
        "doubled": len(doubled),
        "unexpected": len(unexpected),
        "missing_sample": missing[:5],
    }
    if missing:
        problems.append(f"{len(missing)} customer messages missing")
    if doubled:
        problems.append(f"{len(doubled)} customer messages stored twice")

    # 2. webhook events
    events = dict(
        conn.execute("SELECT status, count(*) FROM inbox_webhookevent GROUP BY 1").fetchall()
    )
    result["webhook_events"] = events
    for status in ("pending", "failed", "unrouted"):
        if events.get(status):
            problems.append(f"{events[status]} webhook events {status}")
    if events.get("failed"):
        result["failed_errors"] = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT left(error, 160) FROM inbox_webhookevent WHERE status='failed' "
                "LIMIT 5"
            ).fetchall()
        ]

    # 3. outbound sends, exactly once at the fake provider
    sends = _send_log(conn)
    outbound = conn.execute(
        "SELECT m.id, m.author_kind, m.status, m.text, c.provider, "
        "coalesce(CASE WHEN c.provider = 'tiktok' THEN v.provider_conversation_id END, "
        "         i.external_id) "
        "FROM inbox_message m JOIN inbox_channel c ON c.id = m.channel_id "
        "JOIN inbox_conversation v ON v.id = m.conversation_id "
        "LEFT JOIN inbox_contactidentity i ON i.channel_id = m.channel_id "
        "     AND i.contact_id = v.contact_id "
        "WHERE m.direction = 'out' AND m.kind = 'message' AND m.author_kind IN ('agent','bot')"
    ).fetchall()
    statuses = Counter(row[2] for row in outbound)
    sent_rows = [r for r in outbound if r[2] in ("sent", "delivered", "read")]
    not_received = [r[0] for r in sent_rows if sends[(str(r[5]), r[3])] == 0]
    agent_texts = Counter((str(r[5]), r[3]) for r in outbound)
    duplicated = [k for k, n in sends.items() if n > agent_texts.get(k, 0) and agent_texts.get(k)]
    injected = dict(
        conn.execute(
            "SELECT injected, count(*) FROM inbox_simulatorrequest WHERE injected <> '' GROUP BY 1"
        ).fetchall()
    )
    result["outbound"] = {
        "injected_failures_hit": injected,
        "messages": len(outbound),
        "by_author": dict(Counter(r[1] for r in outbound)),
        "by_status": dict(statuses),
        "received_by_fake": sum(sends.values()),
        "sent_but_not_received": len(not_received),
        "received_more_than_once": len(duplicated),
        "duplicate_sample": duplicated[:3],
    }
    if duplicated:
        problems.append(f"{len(duplicated)} replies received twice by the provider")
    if not_received:
        problems.append(f"{len(not_received)} replies marked sent but never received")
    if statuses.get("failed"):
        problems.append(f"{statuses['failed']} replies failed")

    # 4. auto-replies: one per keyword message
    keyword_ids = loadgen.get("keyword_messages") or []
    if (
        _table_exists(conn, "automation_autoreplyrule")
        and conn.execute("SELECT count(*) FROM automation_autoreplyrule").fetchone()[0]
    ):
        rows = conn.execute(
            "SELECT m.provider_message_id, (SELECT count(*) FROM inbox_message b WHERE "
            "b.conversation_id = m.conversation_id AND b.author_kind = 'bot' AND "
            "b.kind = 'message') FROM inbox_message m WHERE m.direction = 'in' AND "
            "m.provider_message_id = ANY(%s)",
            [[mid for _, mid in keyword_ids]],
        ).fetchall()
        replies = Counter(n for _, n in rows)
        result["auto_replies"] = {
            "keyword_messages": len(keyword_ids),
            "stored": len(rows),
            "replies_per_keyword_message": dict(replies),
        }
        if set(replies) - {1}:
            problems.append(f"auto-replies per keyword message: {dict(replies)} (want all 1)")
    else:
        result["auto_replies"] = "not checked: no automation rules in this build"

    # 5. signals to TikTok's Events API
    if _table_exists(conn, "signals_app_signalreport"):
        result["signals"] = _check_signals(conn, loadgen, problems)
    else:
        result["signals"] = "not checked: no signals app in this build"

    result["problems"] = problems
    result["exactly_once"] = not problems
    return result


def replies_fate(conn, message_ids: list[int]) -> list[dict]:
    """What became of some replies (those a kill left claimed): status, attempts, and how
    many times the fake provider accepted each."""
    if not message_ids:
        return []
    sends = _send_log(conn)
    rows = conn.execute(
        "SELECT m.id, m.status, m.attempts, m.text, "
        "coalesce(CASE WHEN c.provider = 'tiktok' THEN v.provider_conversation_id END, "
        "         i.external_id) "
        "FROM inbox_message m JOIN inbox_channel c ON c.id = m.channel_id "
        "JOIN inbox_conversation v ON v.id = m.conversation_id "
        "LEFT JOIN inbox_contactidentity i ON i.channel_id = m.channel_id "
        "     AND i.contact_id = v.contact_id WHERE m.id = ANY(%s) ORDER BY m.id",
        [list(message_ids)],
    ).fetchall()
    return [
        {"id": mid, "status": status, "attempts": attempts, "at_fake": sends[(str(to), text)]}
        for mid, status, attempts, text, to in rows
    ]


def auto_reply_latency(conn, sent_at: dict[str, float]) -> dict:
    """Webhook → auto-reply at the fake provider, per keyword message: from the moment the load
    generator made the webhook to the moment the provider accepted the bot's reply
    (``sent_at`` of the reply, set when the fake answered the send)."""
    if not sent_at:
        return {"messages": 0}
    rows = conn.execute(
        "SELECT m.provider_message_id, extract(epoch FROM min(b.sent_at)) "
        "FROM inbox_message m JOIN inbox_message b ON b.conversation_id = m.conversation_id "
        "AND b.author_kind = 'bot' AND b.kind = 'message' AND b.sent_at IS NOT NULL "
        "WHERE m.direction = 'in' AND m.provider_message_id = ANY(%s) "
        "GROUP BY m.provider_message_id",
        [list(sent_at)],
    ).fetchall()
    latencies = sorted((float(at) - sent_at[mid]) * 1000 for mid, at in rows if at is not None)
    if not latencies:
        return {"messages": len(sent_at), "answered": 0}

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1)

    return {
        "messages": len(sent_at),
        "answered": len(latencies),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1], 1),
    }


def _check_signals(conn, loadgen: dict, problems: list[str]) -> dict:
    reports = dict(
        conn.execute("SELECT status, count(*) FROM signals_app_signalreport GROUP BY 1").fetchall()
    )
    # Every copy TikTok answered code 0 to, from the fake's request log (each request: one
    # attempt of one batch).
    received: Counter = Counter()
    accepted_requests = 0
    for (body,) in conn.execute(
        "SELECT body FROM signals_app_faketiktokrequest WHERE http_status = 200 "
        "AND code = 0 AND path LIKE %s",
        ["%event/track%"],
    ).fetchall():
        try:
            payload = json.loads(body)
            if payload.get("test_event_code"):
                continue
            accepted_requests += 1
            for item in payload.get("data", []):
                received[str(item.get("event_id"))] += 1
        except (ValueError, AttributeError):
            continue
    sent = dict(
        conn.execute(
            "SELECT event_id, event_name FROM signals_app_signalreport WHERE status = 'sent'"
        ).fetchall()
    )
    out = {"reports": reports, "accepted_requests": accepted_requests}
    if _table_exists(conn, "signals_app_faketiktokevent"):
        # What TikTok counts: one row per (event set, event, event_id).
        counted: Counter = Counter()
        copies = 0
        for event_id, count, got in conn.execute(
            "SELECT event_id, counted, received FROM signals_app_faketiktokevent"
        ).fetchall():
            counted[event_id] += count
            copies += got
        twice = [e for e, n in counted.items() if n > 1]
        not_counted = [e for e in sent if not counted.get(e)]
        unreported = [e for e in counted if e not in sent]
        resent_ids = [e for e, n in received.items() if n > 1]
        out.update(
            {
                "counted_by_tiktok": len(counted),
                "counted_twice": len(twice),
                "sent_but_not_counted": len(not_counted),
                "counted_but_not_sent": len(unreported),
                "copies_received": copies,
                "resent_events": copies - sum(counted.values()),
                "resent_event_ids": len(resent_ids),
                "resent_sample": resent_ids[:5],
            }
        )
        if twice:
            problems.append(f"{len(twice)} signals counted twice by TikTok")
        if not_counted:
            problems.append(f"{len(not_counted)} signals marked sent but not counted by TikTok")
        if unreported:
            problems.append(f"{len(unreported)} signals counted by TikTok but not marked sent")
    else:  # a build whose fake does not deduplicate: every copy counts
        twice = [e for e, n in received.items() if n > 1]
        not_received = [e for e in sent if not received.get(e)]
        out.update(
            {
                "counted_by_tiktok": len(received),
                "counted_twice": len(twice),
                "sent_but_not_counted": len(not_received),
                "resent_events": sum(n - 1 for n in received.values()),
            }
        )
        if twice:
            problems.append(f"{len(twice)} signals reported twice (the fake does not dedupe)")
        if not_received:
            problems.append(f"{len(not_received)} signals marked sent but never received")
    signal_ids = [mid for _, mid in loadgen.get("signal_messages") or []]
    per_message = Counter(
        n
        for (n,) in conn.execute(
            "SELECT (SELECT count(*) FROM signals_app_signalreport r WHERE "
            "r.conversation_id = m.conversation_id AND r.signal = 'payment' AND "
            "r.status = 'sent') FROM inbox_message m WHERE m.direction = 'in' AND "
            "m.provider_message_id = ANY(%s)",
            [signal_ids],
        ).fetchall()
    )
    out["signal_messages"] = len(signal_ids)
    out["payment_reports_per_signal_message"] = dict(per_message)
    if reports.get("pending") or reports.get("failed"):
        problems.append(f"signal reports not sent: {reports}")
    if signal_ids and set(per_message) - {1}:
        problems.append(f"payment reports per signal message: {dict(per_message)}")
    return out
