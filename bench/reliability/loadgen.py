"""A bounded, loopback-only load generator: correctly signed provider webhooks at a steady
rate (open loop), the way TikTok, WhatsApp and Messenger deliver them.

Mix (by default): text in several languages from many customers; 10 % redeliveries of an
already-accepted body (TikTok re-signs a redelivery with a fresh timestamp); status updates;
referrals (TikTok ``im_referral_msg``, WhatsApp click-to-WhatsApp, Messenger ``referral``);
keyword messages (each from a new customer, so each must produce exactly one auto-reply).

Like a provider, it retries a delivery that was not answered 200 (5xx, 503 while the database
is down, connection refused) with backoff until ``retry_until``. It records every unique
message id it delivered, so the exactly-once check knows what must be stored.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.loadgen import read_response

LANGUAGES = [
    "Xin chào! Áo này còn size M không?",
    "สวัสดีครับ ส่งของวันนี้ได้ไหมครับ",
    "Hello, is the blue one still available?",
    "Bonjour, vous livrez à Lyon ?",
    "Halo kak, bisa COD?",
    "你好，这个有红色的吗？",
    "مرحبا، هل يتوفر مقاس كبير؟",
    "Hola, ¿cuánto cuesta el envío? 🚚",
    "Cảm ơn shop nhiều nha 😍",
]
KEYWORD = "pricecheck"
# Phrases in the signals app's shipped keyword list ("payment"): one per new conversation.
SIGNAL_TEXTS = ["I have paid, payment sent 💸", "paid! bank transfer done"]


def _sign(provider: str, raw: bytes, tiktok_secret: str, meta_secret: str) -> dict:
    from inbox.providers import registry

    module = registry.get(provider)
    secret = tiktok_secret if provider == "tiktok" else meta_secret
    return {"Content-Type": "application/json", **module.sign(raw, secret)}


def _dump(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Delivery:
    provider: str
    body: bytes
    kind: str
    message_id: str = ""
    attempts: int = 0


@dataclass
class Stats:
    sent: int = 0
    by_kind: dict = field(default_factory=dict)
    status_codes: dict = field(default_factory=dict)
    latencies_ms: list = field(default_factory=list)
    retried: int = 0
    gave_up: int = 0
    errors: dict = field(default_factory=dict)
    expected_messages: dict = field(
        default_factory=lambda: {"tiktok": [], "whatsapp": [], "messenger": []}
    )
    keyword_messages: list = field(default_factory=list)
    # message id → wall-clock time the webhook was generated (the auto-reply latency's start)
    keyword_sent_at: dict = field(default_factory=dict)
    # the keyword messages of the quiet tenants (the fairness scenario)
    quiet_keyword_messages: list = field(default_factory=list)
    signal_messages: list = field(default_factory=list)
    referrals: int = 0

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float | None:
            if not lat:
                return None
            return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 1)

        return {
            "requests": len(lat),
            "deliveries": self.sent,
            "by_kind": self.by_kind,
            "status_codes": self.status_codes,
            "retried": self.retried,
            "gave_up": self.gave_up,
            "errors": self.errors,
            "p50_ms": pct(50),
            "p90_ms": pct(90),
            "p99_ms": pct(99),
            "max_ms": round(lat[-1], 1) if lat else None,
            "unique_messages": {p: len(v) for p, v in self.expected_messages.items()},
            "keyword_messages": len(self.keyword_messages),
            "signal_messages": len(self.signal_messages),
            "referrals": self.referrals,
        }


class Generator:
    def __init__(
        self,
        *,
        accounts: dict[str, str],
        tiktok_secret: str,
        meta_secret: str,
        seed: int = 7,
        keyword_share: float = 0.08,
        redelivery_share: float = 0.10,
        status_share: float = 0.07,
        referral_share: float = 0.05,
        signal_share: float = 0.05,
    ) -> None:
        self.accounts = accounts
        self.tiktok_secret = tiktok_secret
        self.meta_secret = meta_secret
        self.rng = random.Random(seed)
        self.shares = (redelivery_share, status_share, referral_share, keyword_share, signal_share)
        self.accepted: list[Delivery] = []
        self.customers = {p: [self._customer(p, i) for i in range(200)] for p in accounts}
        self.n = 0

    def _customer(self, provider: str, i: int) -> str:
        if provider == "tiktok":
            return f"-000relCust{i:08d}"
        if provider == "whatsapp":
            return f"8490{i:07d}"
        return f"79{i:014d}"

    def _fresh_customer(self, provider: str) -> str:
        self.n += 1
        return self._customer(provider, 100_000 + self.n) + "k"

    # --- payloads in the providers' real shapes (providers.md) ---------------------------

    def _tiktok(self, event: str, customer: str, content: dict) -> dict:
        biz = self.accounts["tiktok"]
        base = {
            "conversation_id": f"0:1:{customer}:{biz}",
            "timestamp": int(time.time() * 1000),
            "from": f"user{customer[-4:]}",
            "from_user": {"id": customer, "role": "personal_account"},
            "to": "rel.shop",
            "to_user": {"id": biz, "role": "business_account"},
        }
        return {
            "client_key": "reliability",
            "event": event,
            "create_time": int(time.time()),
            "user_openid": biz,
            "content": json.dumps({**base, **content}, ensure_ascii=False),
        }

    def text(self, provider: str, customer: str, text: str) -> tuple[dict, str]:
        mid = secrets.token_hex(12)
        now = int(time.time())
        if provider == "tiktok":
            message_id = "73" + str(int(mid[:15], 16))
            return self._tiktok(
                "im_receive_msg",
                customer,
                {"message_id": message_id, "type": "text", "text": {"body": text}},
            ), message_id
        if provider == "whatsapp":
            message_id = f"wamid.REL{mid}"
            value = {
                "messaging_product": "whatsapp",
                "metadata": {
                    "display_phone_number": "15550001111",
                    "phone_number_id": self.accounts["whatsapp"],
                },
                "contacts": [{"profile": {"name": f"Khách {customer[-3:]}"}, "wa_id": customer}],
                "messages": [
                    {
                        "from": customer,
                        "id": message_id,
                        "timestamp": str(now),
                        "type": "text",
                        "text": {"body": text},
                    }
                ],
            }
            return {
                "object": "whatsapp_business_account",
                "entry": [{"id": "WABA-REL", "changes": [{"field": "messages", "value": value}]}],
            }, message_id
        message_id = f"m_REL{mid}"
        page = self.accounts["messenger"]
        return {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": now * 1000,
                    "messaging": [
                        {
                            "sender": {"id": customer},
                            "recipient": {"id": page},
                            "timestamp": now * 1000,
                            "message": {"mid": message_id, "text": text},
                        }
                    ],
                }
            ],
        }, message_id

    def referral(self, provider: str, customer: str) -> tuple[dict, str]:
        ad = str(self.rng.randint(10**15, 10**16))
        if provider == "tiktok":
            return self._tiktok(
                "im_referral_msg",
                customer,
                {
                    "referral": {
                        "source": "ad",
                        "ad": {
                            "advertiser_id": "7000000000000000001",
                            "ad_id": ad,
                            "timestamp": int(time.time() * 1000),
                            "ad_name": f"Ad {ad}",
                            "embed_url": "",
                            "message_material_id": "",
                        },
                    }
                },
            ), ""
        if provider == "whatsapp":  # click-to-WhatsApp: the first message carries the referral
            payload, message_id = self.text(provider, customer, "Tôi thấy quảng cáo này")
            msg = payload["entry"][0]["changes"][0]["value"]["messages"][0]
            msg["referral"] = {
                "source_url": f"https://fb.me/{ad}",
                "source_id": ad,
                "source_type": "ad",
                "headline": "Summer sale",
                "body": "-20%",
                "ctwa_clid": secrets.token_hex(8),
            }
            return payload, message_id
        page = self.accounts["messenger"]
        now = int(time.time() * 1000)
        return {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": now,
                    "messaging": [
                        {
                            "sender": {"id": customer},
                            "recipient": {"id": page},
                            "timestamp": now,
                            "referral": {
                                "ref": "summer",
                                "ad_id": ad,
                                "source": "ADS",
                                "type": "OPEN_THREAD",
                            },
                        }
                    ],
                }
            ],
        }, ""

    def status(self, provider: str, customer: str) -> dict:
        now = int(time.time())
        if provider == "tiktok":  # TikTok has no delivery statuses: a read receipt instead
            return self._tiktok(
                "im_mark_read_msg", customer, {"read": {"last_read_timestamp": now * 1000}}
            )
        if provider == "whatsapp":
            value = {
                "messaging_product": "whatsapp",
                "metadata": {
                    "display_phone_number": "15550001111",
                    "phone_number_id": self.accounts["whatsapp"],
                },
                "statuses": [
                    {
                        "id": f"wamid.OUT{secrets.token_hex(8)}",
                        "status": self.rng.choice(["delivered", "read"]),
                        "timestamp": str(now),
                        "recipient_id": customer,
                    }
                ],
            }
            return {
                "object": "whatsapp_business_account",
                "entry": [{"id": "WABA-REL", "changes": [{"field": "messages", "value": value}]}],
            }
        page = self.accounts["messenger"]
        return {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": now * 1000,
                    "messaging": [
                        {
                            "sender": {"id": customer},
                            "recipient": {"id": page},
                            "timestamp": now * 1000,
                            "delivery": {
                                "mids": [f"m_OUT{secrets.token_hex(8)}"],
                                "watermark": now * 1000,
                            },
                        }
                    ],
                }
            ],
        }

    def next(self, stats: Stats) -> Delivery:
        redelivery, status, referral, keyword, signal = self.shares
        provider = self.rng.choice(list(self.accounts))
        roll = self.rng.random()
        if roll < redelivery and self.accepted:
            original = self.rng.choice(self.accepted)
            return Delivery(original.provider, original.body, "redelivery")
        roll -= redelivery
        if roll < status:
            customer = self.rng.choice(self.customers[provider])
            return Delivery(provider, _dump(self.status(provider, customer)), "status")
        roll -= status
        if roll < referral:
            payload, message_id = self.referral(provider, self._fresh_customer(provider))
            stats.referrals += 1
            if message_id:
                stats.expected_messages[provider].append(message_id)
            return Delivery(provider, _dump(payload), "referral", message_id)
        roll -= referral
        if roll < keyword:
            customer = self._fresh_customer(provider)
            payload, message_id = self.text(provider, customer, f"{KEYWORD} giá bao nhiêu?")
            stats.expected_messages[provider].append(message_id)
            stats.keyword_messages.append([provider, message_id])
            stats.keyword_sent_at[message_id] = time.time()
            return Delivery(provider, _dump(payload), "keyword", message_id)
        roll -= keyword
        if roll < signal:
            customer = self._fresh_customer(provider)
            payload, message_id = self.text(provider, customer, self.rng.choice(SIGNAL_TEXTS))
            stats.expected_messages[provider].append(message_id)
            stats.signal_messages.append([provider, message_id])
            return Delivery(provider, _dump(payload), "signal", message_id)
        customer = self.rng.choice(self.customers[provider])
        payload, message_id = self.text(provider, customer, self.rng.choice(LANGUAGES))
        stats.expected_messages[provider].append(message_id)
        return Delivery(provider, _dump(payload), "text", message_id)


class FairnessGenerator:
    """One busy tenant (the harness's, its full mix) sending ``busy_factor`` times the rate of
    each of the quiet tenants (a TikTok shop each, keyword messages only, from new customers:
    each must be auto-answered). ``busy_factor`` 0: the quiet tenants alone (the unloaded
    reference)."""

    def __init__(self, busy: Generator, quiet_accounts: list[str], busy_factor: float) -> None:
        self.busy = busy
        self.rng = busy.rng
        self.accepted = busy.accepted
        self.tiktok_secret, self.meta_secret = busy.tiktok_secret, busy.meta_secret
        self.quiet = [
            Generator(
                accounts={"tiktok": account},
                tiktok_secret=busy.tiktok_secret,
                meta_secret=busy.meta_secret,
                seed=100 + i,
            )
            for i, account in enumerate(quiet_accounts)
        ]
        total = busy_factor + len(self.quiet)
        self.busy_share = busy_factor / total if total else 0.0

    def next(self, stats: Stats) -> Delivery:
        if self.rng.random() < self.busy_share:
            return self.busy.next(stats)
        quiet = self.rng.choice(self.quiet)
        payload, message_id = quiet.text(
            "tiktok", quiet._fresh_customer("tiktok"), f"{KEYWORD} còn hàng không?"
        )
        stats.expected_messages["tiktok"].append(message_id)
        stats.keyword_messages.append(["tiktok", message_id])
        stats.quiet_keyword_messages.append(message_id)
        stats.keyword_sent_at[message_id] = time.time()
        return Delivery("tiktok", _dump(payload), "quiet-keyword", message_id)


class _Conn:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams. The generator shares the
    machine with what it loads: httpx's async client cost 5 ms of CPU per webhook here
    (its pool scans every connection per request), this about a tenth of it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def usable(self) -> bool:
        return (
            self.writer is not None
            and not self.writer.is_closing()
            and self.reader is not None
            and not self.reader.at_eof()
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, headers: dict, timeout: float) -> int:
        if not self.usable():
            self.close()
            try:
                async with asyncio.timeout(3.0):
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            except TimeoutError:
                raise _HttpError("ConnectTimeout") from None
            except OSError:
                raise _HttpError("ConnectError") from None
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            async with asyncio.timeout(timeout):
                await self.writer.drain()
                status, keep = await read_response(self.reader)
        except TimeoutError:
            self.close()
            raise _HttpError("ReadTimeout") from None
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise _HttpError("RemoteProtocolError") from None
        except OSError:
            self.close()
            raise _HttpError("ReadError") from None
        if not keep:
            self.close()
        return status


class _HttpError(Exception):
    """A delivery that got no HTTP answer; its text names the kind (httpx's names)."""


class _Pool:
    """Keep-alive connections, the most recently used reused first (few at a low rate)."""

    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        self.host, self.port = url.hostname, url.port or 80
        self.idle: list[_Conn] = []

    async def post(self, path: str, body: bytes, headers: dict) -> int:
        conn = self.idle.pop() if self.idle else _Conn(self.host, self.port)
        try:
            return await conn.post(path, body, headers, timeout=10.0)
        finally:
            if conn.usable():
                self.idle.append(conn)

    async def __aenter__(self) -> _Pool:
        return self

    async def __aexit__(self, *exc) -> None:
        for conn in self.idle:
            conn.close()


async def run_load(
    *,
    base_url: str,
    generator: Generator,
    rate: float,
    seconds: float,
    retry_until: float,
    max_in_flight: int = 64,
    on_tick=None,
) -> Stats:
    """Open loop at ``rate`` deliveries/s for ``seconds``; then keep retrying unanswered
    deliveries until ``retry_until`` seconds after the start. Bounded in time."""
    assert base_url.startswith(("http://127.0.0.1", "http://localhost")), "loopback only"
    stats = Stats()
    start = time.monotonic()
    pending_retries: list[asyncio.Task] = []
    semaphore = asyncio.Semaphore(max_in_flight)
    async with _Pool(base_url) as client:

        async def deliver(d: Delivery) -> None:
            while True:
                d.attempts += 1
                headers = _sign(d.provider, d.body, generator.tiktok_secret, generator.meta_secret)
                t0 = time.monotonic()
                code: int | str
                async with semaphore:
                    try:
                        code = await client.post(f"/webhooks/{d.provider}/", d.body, headers)
                    except _HttpError as exc:
                        code = str(exc)
                stats.latencies_ms.append((time.monotonic() - t0) * 1000)
                stats.status_codes[str(code)] = stats.status_codes.get(str(code), 0) + 1
                if code == 200:
                    if d.kind != "redelivery":
                        generator.accepted.append(d)
                    return
                if code in (401, 413):  # a harness bug, not an outage: do not retry
                    stats.errors[str(code)] = stats.errors.get(str(code), 0) + 1
                    return
                delay = min(30.0, 0.5 * 2 ** min(d.attempts, 6)) * (0.5 + generator.rng.random())
                if time.monotonic() + delay - start > retry_until:
                    stats.gave_up += 1
                    return
                stats.retried += 1
                await asyncio.sleep(delay)

        i = 0
        tasks: list[asyncio.Task] = []
        while True:
            due = start + i / rate
            now = time.monotonic()
            if now - start >= seconds:
                break
            if due > now:
                await asyncio.sleep(due - now)
            d = generator.next(stats)
            stats.sent += 1
            stats.by_kind[d.kind] = stats.by_kind.get(d.kind, 0) + 1
            tasks.append(asyncio.create_task(deliver(d)))
            i += 1
            if on_tick is not None:
                on_tick(time.monotonic() - start)
            if len(tasks) > 5000:
                tasks = [t for t in tasks if not t.done()]
        remaining = max(1.0, retry_until - (time.monotonic() - start) + 15)
        done, not_done = await asyncio.wait(tasks, timeout=remaining) if tasks else (set(), set())
        for task in not_done:
            task.cancel()
        stats.gave_up += len(not_done)
        del pending_retries
    return stats
