"""A bounded HTTP/1.1 load generator for a mix of requests to a server on 127.0.0.1.

A fixed number of connections (one asyncio task each, on uvloop, in this one process), each
sending its next request when its last answer is in: at most ``concurrency`` requests are in
flight, so the client cannot run away from the server, whatever the server does. Two ways to
pace them:

- closed loop (``rate`` 0): each connection sends again at once. The rate found is what the
  server sustains at that concurrency, and the figure to compare two servers by.
- open loop (``rate`` > 0): request k is due at start + k / rate, taken by the first free
  connection, and timed from when it was due (not when it was sent), so a server that falls
  behind is charged for the wait it causes (no coordinated omission); the wait is bounded by
  the run's length, never by a growing queue of requests.

Requests are made by a picker (the mix) from each connection's own seeded random generator
and its number (so the mix can keep the requests that must not overlap, e.g. the changes of
one subscription, on one connection).
Every answer other than 2xx, a dropped connection and a 30 s timeout count as errors; the
first few are kept to show. Only 127.0.0.1 is ever connected to.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import uvloop

HOST = "127.0.0.1"
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Call:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None

    def encoded(self, port: int) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body is not None:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + (self.body or b"")


# The next request of connection number w (its lane), from its own random generator.
Picker = Callable[[random.Random, int], Call]


@dataclass
class KindStats:
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0
    examples: list[str] = field(default_factory=list)

    def failed(self, what: str) -> None:
        self.errors += 1
        if len(self.examples) < 3:
            self.examples.append(what[:300])

    def percentile(self, q: int) -> float:
        if len(self.times_ms) < 2:
            return self.times_ms[0] if self.times_ms else 0.0
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[q - 1]


@dataclass
class Outcome:
    kinds: dict[str, KindStats]
    seconds: float  # wall time of the run
    cpu_s: float  # this process's CPU time over the run (the load generator's own cost)

    def stats(self, kind: str) -> KindStats:
        return self.kinds.setdefault(kind, KindStats())


class _Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lowered = head.lower()
        body = b""
        if b"transfer-encoding: chunked" in lowered:
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            found = lowered.find(b"content-length:")
            if found >= 0:
                length = int(lowered[found + 15 : lowered.index(b"\r\n", found)])
                body = await self.reader.readexactly(length)
        if b"connection: close" in lowered:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _one(conn: _Connection, call: Call, stats: KindStats, due: float) -> None:
    try:
        status, body = await asyncio.wait_for(conn.exchange(call.encoded(conn.port)), TIMEOUT_S)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as e:
        conn.close()
        stats.failed(f"{call.method} {call.path}: {type(e).__name__} {e}")
        return
    stats.times_ms.append((time.perf_counter() - due) * 1000)
    if not 200 <= status < 300:
        stats.failed(f"{call.method} {call.path}: {status} {body[:200]!r}")


async def _run(
    port: int,
    pick: Picker,
    concurrency: int,
    seconds: float,
    rate: float,
    seed: int,
    periodic: Sequence[tuple[float, Call]],
    outcome: Outcome,
) -> None:
    start = time.perf_counter() + 0.1
    end = start + seconds
    due_numbers = itertools.count()

    async def connection(w: int) -> None:
        rng, conn = random.Random(seed * 10_000 + w), _Connection(port)
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        while True:
            if rate:
                due = start + next(due_numbers) / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            else:
                due = time.perf_counter()
            if due >= end:
                break
            call = pick(rng, w)
            await _one(conn, call, outcome.stats(call.kind), due)
        conn.close()

    async def every(interval: float, call: Call) -> None:
        due = start + interval / 2
        while due < end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            conn = _Connection(port)  # a new one each time: the server closes idle ones
            await _one(conn, call, outcome.stats(call.kind), time.perf_counter())
            conn.close()
            due += interval

    tasks = [connection(w) for w in range(concurrency)]
    tasks += [every(interval, call) for interval, call in periodic]
    await asyncio.gather(*tasks)
    outcome.seconds = time.perf_counter() - start


def run(
    port: int,
    pick: Picker,
    *,
    concurrency: int,
    seconds: float,
    rate: float = 0.0,
    seed: int = 17,
    periodic: Sequence[tuple[float, Call]] = (),
) -> Outcome:
    """The mix for ``seconds``; ``periodic``: (interval s, request) sent on a connection of
    their own, beside the mix, e.g. a billing run every 10 s."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outcome = Outcome({}, 0.0, 0.0)
    uvloop.run(_run(port, pick, concurrency, seconds, rate, seed, periodic, outcome))
    after = resource.getrusage(resource.RUSAGE_SELF)
    outcome.cpu_s = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return outcome
