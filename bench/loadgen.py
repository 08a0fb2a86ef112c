"""A small HTTP/1.1 keep-alive load generator on raw asyncio sockets (no external tools).

closed_loop(): N connections, each sends the next request when the previous answered
(throughput). open_loop(): requests scheduled at a fixed rate, latency measured from the
scheduled time (no coordinated omission), on a pool of connections.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Request = tuple[str, bytes, dict]  # path, body, headers


def _encode(host: str, port: int, req: Request) -> bytes:
    path, body, headers = req
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, whether the server keeps the connection open) of one HTTP/1.1 answer, its
    body read past (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, keep = 0, False, True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection" and value == b"close":
            keep = False
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep


class Conn:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, req: Request) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(_encode(self.host, self.port, req))
        await self.writer.drain()
        try:
            status, _keep = await read_response(self.reader)
            return status
        except (asyncio.IncompleteReadError, ConnectionError):
            self.writer = None
            return 0

    def close(self):
        if self.writer is not None:
            self.writer.close()


async def closed_loop(
    host: str, port: int, make: Callable[[], Request], connections: int, seconds: float
) -> dict:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker():
        conn = Conn(host, port)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status = await conn.send(make())
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "seconds": elapsed,
        "statuses": statuses,
        "latencies": latencies,
        **percentiles(latencies),
    }


async def open_loop(
    host: str,
    port: int,
    make: Callable[[], Request],
    rate: float,
    seconds: float,
    max_connections: int = 64,
) -> dict:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    pool: asyncio.Queue[Conn] = asyncio.Queue()
    for _ in range(max_connections):
        pool.put_nowait(Conn(host, port))
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2

    async def one(i: int):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        conn = await pool.get()
        status = await conn.send(make())
        latencies.append(time.perf_counter() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait(conn)

    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    return {
        "requests": total,
        "rps": total / elapsed,
        "seconds": elapsed,
        "statuses": statuses,
        "latencies": latencies,
        **percentiles(latencies),
    }


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    s = sorted(values)

    def p(q):
        return s[min(len(s) - 1, int(q * len(s)))] * 1000

    return {"p50_ms": p(0.50), "p95_ms": p(0.95), "p99_ms": p(0.99), "max_ms": s[-1] * 1000}
