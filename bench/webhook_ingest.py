"""Webhook ingest benchmark: signed provider webhooks (TikTok by default, or Instagram, LINE,
Zalo) vs a trivial Django view, both served by the production server (uvicorn, several worker
processes) in the same run.

    DATABASE_URL=... REDIS_URL=... python bench/webhook_ingest.py [--workers 2] [--seconds 8]
        [--publish batched|direct] [--provider tiktok|instagram|line|zalo]

LINE (the channel's own secret, base64 HMAC-SHA256 of the body) and Zalo (the OA's secret key,
plain SHA-256 of app_id + body + timestamp + key) sign per channel: a bench channel is
connected first, since ingest finds the channel from the payload before it verifies.

The server runs as in production: Django's psycopg pool (``DATABASE_POOL``, on outside pytest),
the stored ids published by the dispatcher thread in batches (``--publish direct``: one task
per webhook, in the request, to see whether the batching still pays).

Prints a markdown table; raw numbers go to bench/results/webhook_ingest.json. Every loop is
bounded in time; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import closed_loop, open_loop, percentiles  # noqa: E402
from inbox.providers import _meta, line, tiktok, zalo  # noqa: E402

SECRET = "bench-tiktok-client-secret"
META_SECRET = "bench-meta-app-secret"
BUSINESS = "-000benchBusiness0001"
INSTAGRAM_ACCOUNT = "17841400000000001"
LINE_BOT = "U" + "be0c4" * 6 + "be"  # the bench LINE channel's bot user id (destination)
LINE_SECRET = "0123456789abcdef0123456789abcdef"
ZALO_OA = "4318205799990000001"
ZALO_SECRET = "bench-zalo-oa-secret-key"
# A channel to verify against, for providers that sign per channel (run before the server).
CHANNEL_SETUP = {
    "line": "\n".join(
        [
            "from tenants.models import Tenant",
            "from inbox.models import Channel",
            "t, _ = Tenant.objects.get_or_create(slug='bench-ingest', defaults={'name': 'Bench'})",
            "Channel.objects.update_or_create(provider='line', account_id=" + repr(LINE_BOT) + ",",
            "    defaults={'tenant': t, 'name': 'bench LINE', 'credentials': {",
            "        'access_token': 'bench', 'channel_secret': " + repr(LINE_SECRET) + "}})",
        ]
    ),
    "zalo": "\n".join(
        [
            "from tenants.models import Tenant",
            "from inbox.models import Channel",
            "t, _ = Tenant.objects.get_or_create(slug='bench-ingest', defaults={'name': 'Bench'})",
            "Channel.objects.update_or_create(provider='zalo', account_id=" + repr(ZALO_OA) + ",",
            "    defaults={'tenant': t, 'name': 'bench Zalo', 'credentials': {",
            "        'access_token': 'bench', 'oa_secret_key': " + repr(ZALO_SECRET) + "}})",
        ]
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tiktok_request() -> tuple[str, bytes, dict]:
    msg_id = secrets.token_hex(10)
    content = {
        "conversation_id": "0:1:bench:" + msg_id[:6],
        "message_id": msg_id,
        "timestamp": int(time.time() * 1000),
        "type": "text",
        "text": {"body": "Xin chào! Áo này còn size M không?"},
        "from": "bench.customer",
        "from_user": {"id": "-000cust" + msg_id[:8], "role": "personal_account"},
        "to": "bench.shop",
        "to_user": {"id": BUSINESS, "role": "business_account"},
    }
    body = json.dumps(
        {
            "client_key": "bench",
            "event": "im_receive_msg",
            "create_time": int(time.time()),
            "user_openid": BUSINESS,
            "content": json.dumps(content, separators=(",", ":")),
        },
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", **tiktok.sign(body, SECRET)}
    return "/webhooks/tiktok/", body, headers


def instagram_request() -> tuple[str, bytes, dict]:
    """A distinct Instagram DM (``object: "instagram"``), signed with Meta's
    ``X-Hub-Signature-256`` over the raw body, as Meta delivers it."""
    mid = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" + secrets.token_urlsafe(24)
    now_ms = int(time.time() * 1000)
    body = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": INSTAGRAM_ACCOUNT,
                    "time": now_ms,
                    "messaging": [
                        {
                            "sender": {"id": "1307" + secrets.token_hex(6)},
                            "recipient": {"id": INSTAGRAM_ACCOUNT},
                            "timestamp": now_ms,
                            "message": {"mid": mid, "text": "Hi! Is the linen dress in size S?"},
                        }
                    ],
                }
            ],
        },
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", **_meta.sign(body, META_SECRET)}
    return "/webhooks/instagram/", body, headers


def line_request() -> tuple[str, bytes, dict]:
    msg_id = str(secrets.randbelow(10**17) + 10**17)
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": "U" + secrets.token_hex(16)},
        "webhookEventId": "01" + secrets.token_hex(12).upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
        "message": {
            "id": msg_id,
            "type": "text",
            "quoteToken": secrets.token_urlsafe(16),
            "text": "สวัสดีค่ะ เสื้อตัวนี้มีไซซ์ M ไหมคะ",
        },
    }
    body = json.dumps(
        {"destination": LINE_BOT, "events": [event]}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    headers = {"Content-Type": "application/json", **line.sign(body, LINE_SECRET)}
    return "/webhooks/line/", body, headers


def zalo_request() -> tuple[str, bytes, dict]:
    body = json.dumps(
        {
            "app_id": "1472583690123456789",
            "user_id_by_app": str(secrets.randbelow(10**18)),
            "event_name": "user_send_text",
            "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": str(secrets.randbelow(10**16))},
            "recipient": {"id": ZALO_OA},
            "message": {
                "text": "Shop ơi, áo này còn size M không ạ?",
                "msg_id": secrets.token_hex(16),
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", **zalo.sign(body, ZALO_SECRET)}
    return "/webhooks/zalo/", body, headers


WEBHOOKS = {
    "tiktok": tiktok_request,
    "instagram": instagram_request,
    "line": line_request,
    "zalo": zalo_request,
}


def trivial_for(webhook_request):
    def trivial_request() -> tuple[str, bytes, dict]:
        # same body size and signing cost on the client as the webhook it is compared with
        _path, body, headers = webhook_request()
        return "/bench/trivial/", body, headers

    return trivial_request


trivial_request = trivial_for(tiktok_request)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--publish", choices=("batched", "direct"), default="batched")
    parser.add_argument("--provider", choices=tuple(WEBHOOKS), default="tiktok")
    args = parser.parse_args()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY="bench-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TIKTOK_CLIENT_SECRET=SECRET,
        META_APP_SECRET=META_SECRET,
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        BENCH_WEBHOOK_PUBLISH=args.publish,
    )
    if not env.get("DATABASE_URL") or not env.get("REDIS_URL"):
        sys.exit("set DATABASE_URL and REDIS_URL (the production shape: a real broker)")
    py = sys.executable
    load = os.getloadavg()[0]
    subprocess.run([py, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    if args.provider in CHANNEL_SETUP:
        subprocess.run(
            [py, "manage.py", "shell", "-c", CHANNEL_SETUP[args.provider]],
            cwd=ROOT,
            env=env,
            check=True,
        )
    port = free_port()
    server = subprocess.Popen(
        [
            py,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("server did not start")
        results = asyncio.run(run(port, args))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "webhook_ingest.json").write_text(json.dumps(results, indent=2))
    report(results, args, load)


async def run(port: int, args) -> dict:
    """Interleaved rounds (trivial, webhook, trivial, webhook, ...) so that the noise of a
    shared machine falls on both sides alike; figures combine all rounds."""
    host = "127.0.0.1"
    webhook_request = WEBHOOKS[args.provider]
    trivial_request = trivial_for(webhook_request)
    await closed_loop(host, port, trivial_request, 4, 1.5)  # warm-up
    await closed_loop(host, port, webhook_request, 4, 1.5)
    runs: dict[str, list[dict]] = {k: [] for k in KINDS}
    for _ in range(args.rounds):
        runs["trivial_max"].append(
            await closed_loop(host, port, trivial_request, args.connections, args.seconds)
        )
        runs["webhook_max"].append(
            await closed_loop(host, port, webhook_request, args.connections, args.seconds)
        )
        runs["trivial_at_rate"].append(
            await open_loop(host, port, trivial_request, args.rate, args.seconds)
        )
        runs["webhook_at_rate"].append(
            await open_loop(host, port, webhook_request, args.rate, args.seconds)
        )
    results = {}
    for kind, parts in runs.items():
        latencies = [x for p in parts for x in p["latencies"]]
        statuses: dict[int, int] = {}
        for p in parts:
            for code, n in p["statuses"].items():
                statuses[code] = statuses.get(code, 0) + n
        results[kind] = {
            "requests": len(latencies),
            "rps": len(latencies) / sum(p["seconds"] for p in parts),
            "rounds_rps": [round(p["rps"]) for p in parts],
            "rounds_p99_ms": [round(p["p99_ms"], 1) for p in parts],
            "statuses": statuses,
            **percentiles(latencies),
        }
    return results


KINDS = ("trivial_max", "webhook_max", "trivial_at_rate", "webhook_at_rate")


def report(r: dict, args, load: float) -> None:
    ratio = r["webhook_max"]["rps"] / r["trivial_max"]["rps"]
    print(
        f"\nuvicorn config.asgi, {args.workers} worker processes, loopback, "
        f"{args.connections} keep-alive connections (max runs), {args.rounds} interleaved "
        f"rounds of {args.seconds:.0f} s per run, publish {args.publish}, "
        f"webhook {args.provider}, "
        f"load average at start: {load:.1f}\n"
    )
    print("| run | req/s | per round | p50 ms | p99 ms | p99 per round | max ms | statuses |")
    print("|---|---|---|---|---|---|---|---|")
    name = {"tiktok": "TikTok", "instagram": "Instagram", "line": "LINE", "zalo": "Zalo"}[
        args.provider
    ]
    labels = {
        "trivial_max": "trivial view, max throughput",
        "webhook_max": f"{name} webhook ingest, max throughput",
        "trivial_at_rate": f"trivial view at {args.rate:.0f} req/s",
        "webhook_at_rate": f"{name} webhook at {args.rate:.0f} req/s",
    }
    for key in KINDS:
        x = r[key]
        print(
            f"| {labels[key]} | {x['rps']:.0f} | {x['rounds_rps']} | {x['p50_ms']:.1f} | "
            f"{x['p99_ms']:.1f} | {x['rounds_p99_ms']} | {x['max_ms']:.1f} | {x['statuses']} |"
        )
    print(f"\nwebhook / trivial throughput ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
