"""Benchmark: N outbox events fanned out to 3 local receivers and delivered by worker
processes on PostgreSQL, against a raw HTTP client posting the same bodies.

    .venv/bin/python bench/webhooks.py [--events 100000] [--workers 2] [--loops 2] [--threads 16]
        [--batch 200] [--baselines http.client,httpcore,httpx] [--database plansmith_bench_webhooks]

What it does, all in one run on one machine, all local:
1. A fresh database, one organization, three endpoints, each a receiver process of its own (a
   small asyncio HTTP/1.1 server with keep-alive that answers 200 "ok" and counts what it
   got). A sample of the fan-out is timed through the real outbox relay (the webhook
   subscriber, one transaction per event); the other events' deliveries are then written in
   bulk (COPY) with the same body function, as the relay would have made them (setup, not
   measured), so 3 x N deliveries are due.
2. ``--workers`` delivery processes (the DeliveryWorker of `plansmith serve` and `plansmith
   events deliver`: due rows taken ``--batch`` at a time FOR UPDATE SKIP LOCKED, sent by
   ``--threads`` threads over one keep-alive pool, signed with standardwebhooks, every
   attempt recorded in one statement per batch) run until nothing is pending; timed from
   their start. Each worker's peak RSS (VmHWM) is read at 10 %, 50 % and 100 %.
3. The check: every delivery succeeded with one attempt, the receivers got 3 x N requests.
4. The baselines, in the same run: as many raw client processes, each with the same threads,
   POST the same bodies to the same receivers (no database, no signing, no guard): with
   httpx and with httpcore (the sender's clients before ADRs 0033 and 0036), and with
   http.client over a kept-alive connection per thread and receiver (what the sender uses
   now). The ratio is against http.client: deliveries/s over raw/s, what the queue, the
   signatures, the guard and the attempt log leave of it.

Needs PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL overrides).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpcore
import httpx
from bench_postgres import fresh_database, peak_rss_kib  # the benchmarks' shared helpers
from sqlalchemy import func, select, text, update

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.bulk import bulk_insert
from plansmith.adapters.db.webhooks.repositories import delivery_rows
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.webhooks import endpoints as uc
from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.application.webhooks.ports import NewDelivery
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.domain.payments.events import PaymentSucceeded

ROOT = Path(__file__).resolve().parents[1]
RECEIVERS = 3
SAMPLE = 500  # events fanned out through the real relay, timed
CHUNK = 5_000
RAW_CLIENTS = ("httpx", "httpcore", "http.client")


# -- the receiver: a process of its own ------------------------------------------------------


class _Receiving(asyncio.Protocol):
    got = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = (
                int(head[at + 15 : head.find(b"\r\n", at) if b"\r\n" in head[at:] else None])
                if at >= 0
                else 0
            )
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            if head.startswith(b"get /count"):
                text = str(_Receiving.got).encode()
            else:
                _Receiving.got += 1
                text = b"ok"
            reply = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(text), text)
            self.transport.write(reply)  # type: ignore[attr-defined]


def receiver(port_file: str) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Receiving, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        Path(port_file).write_text(str(port))
        await server.serve_forever()

    asyncio.run(serve())


# -- the delivery worker and the raw client: processes of their own ---------------------------


def worker(url: str, threads: int, batch: int, loops: int) -> None:
    """The process's delivery loops (``webhooks_loops``, as `plansmith serve` and `plansmith
    events deliver` run them) sharing one sender: while one loop waits for the database
    (take, record), another one's batch is on the wire."""
    settings = Settings(
        database_url=url,
        secret_key="bench",
        webhooks_allow_private=True,
        webhooks_threads=threads,
        webhooks_loops=loops,
    )
    app = bootstrap(settings)
    running_loops = app.delivery_workers()
    first = running_loops[0]
    pending = select(func.count()).where(t.webhook_deliveries.c.state == "pending")

    def deliver(delivering: DeliveryWorker) -> None:
        delivering.batch = batch
        while True:
            if delivering.run_once() == 0:
                with app.engine.connect() as connection:
                    if connection.execute(pending).scalar_one() == 0:
                        return
                time.sleep(0.05)  # another loop holds the last ones

    running = [threading.Thread(target=deliver, args=(w,)) for w in running_loops]
    print("ready", flush=True)  # started and connected: timed from the "go" on
    sys.stdin.readline()
    cpu_at_go = time.process_time()
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    first.sender.close()
    app.dispose()
    # at 100 %: the peak of the whole run, and the CPU seconds the process used since the "go"
    print(peak_rss_kib(os.getpid()), time.process_time() - cpu_at_go, flush=True)


def raw_client(url: str, threads: int, part: int, parts: int, kind: str) -> None:
    """POST this part's bodies to the same receivers with httpx, httpcore (one pool per
    receiver: the sender's client before ADR 0036) or http.client (a kept-alive connection per
    thread and receiver: what the sender uses now); print the seconds it took."""
    app = bootstrap(Settings(database_url=url, secret_key="bench"))
    d, e = t.webhook_deliveries.c, t.webhook_endpoints.c
    q = select(e.url, d.body).join(t.webhook_endpoints, e.id == d.endpoint_id).order_by(d.id)
    with app.engine.connect() as connection:
        rows = [r for i, r in enumerate(connection.execute(q)) if i % parts == part]
    app.dispose()
    client = httpx.Client(
        timeout=10,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=threads * 4, max_keepalive_connections=threads * 4),
    )
    headers = {"content-type": "application/json"}
    pools = {
        u: httpcore.ConnectionPool(max_connections=threads, max_keepalive_connections=threads)
        for u in {r[0] for r in rows}
    }

    def post_httpx(row: tuple[str, str]) -> int:
        return client.post(row[0], content=row[1].encode(), headers=headers).status_code

    def post_httpcore(row: tuple[str, str]) -> int:
        content = row[1].encode()
        head = [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
        ]
        return pools[row[0]].request(b"POST", row[0], headers=head, content=content).status

    local = threading.local()

    def post_http_client(row: tuple[str, str]) -> int:
        kept: dict[str, http.client.HTTPConnection] = local.__dict__.setdefault("kept", {})
        conn = kept.get(row[0])
        if conn is None:
            where = urlsplit(row[0])
            assert where.hostname is not None and where.port is not None
            conn = kept[row[0]] = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
        conn.request("POST", "/hooks", body=row[1].encode(), headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status

    once = {"httpx": post_httpx, "httpcore": post_httpcore, "http.client": post_http_client}[kind]

    def post(row: tuple[str, str]) -> int:
        for _ in range(3):  # a pooled connection lost under load is retried, as a worker would
            try:
                return once(row)
            except (httpx.TransportError, httpcore.NetworkError, httpcore.ProtocolError):
                continue
            except (http.client.HTTPException, OSError):
                local.__dict__.get("kept", {}).pop(row[0], None)
                continue
        return 0

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(post, rows))
    print(f"{time.perf_counter() - started:.3f} {sum(s == 200 for s in statuses)}", flush=True)


# -- the run ---------------------------------------------------------------------------------


def _event(org: str, n: int, at: datetime) -> PaymentSucceeded:
    return PaymentSucceeded(
        organization_id=org,
        at=at,
        account_id=f"acct_{n % 1000}",
        payment_id=f"pay_{n:08d}",
        kind="payment",
        status="succeeded",
        amount=1000 + n % 5000,
        currency="USD",
        invoice_id=None,
        payment_method_id=None,
        decline_code=None,
        message=None,
    )


def _start(*args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def setup(app: Plansmith, n: int, ports: list[int]) -> float:
    """The endpoints, the events, their deliveries; the relay's fan-out rate on a sample."""
    org = create_organization(app.uow(), app.clock, "Bench Inc").id
    policy = uc.UrlPolicy(True, lambda host, port: ["127.0.0.1"])
    endpoints = [
        uc.create_endpoint(app.uow(), app.clock, policy, org, url=f"http://127.0.0.1:{p}/hooks").id
        for p in ports
    ]
    now = app.clock.now()
    sample = min(SAMPLE, n)
    for start in range(0, n, CHUNK):
        with app.uow() as uow:
            uow.publish([_event(org, k, now) for k in range(start, min(n, start + CHUNK))])
            uow.commit()
    # The real fan-out, on a sample: the relay hands events to the webhook subscriber.
    relay = app.relay()
    relay.batch = sample
    started = time.perf_counter()
    relay.run_once()
    fan_out_rate = sample / (time.perf_counter() - started)
    relay.stop()
    # The rest as the subscriber would have made them, in bulk.
    c = t.outbox_events.c
    q = (
        select(c.id, c.seq, c.type, c.created_at, c.data)
        .where(c.delivered_at.is_(None))
        .order_by(c.seq)
    )
    with app.engine.connect() as connection:
        events = connection.execute(q).all()
    for start in range(0, len(events), CHUNK):
        rows = [
            NewDelivery(endpoint, i, org, kind, seq, uc.body_of(kind, at, seq, data["data"]))
            for i, seq, kind, at, data in events[start : start + CHUNK]
            for endpoint in endpoints
        ]
        with app.sessions() as session:
            bulk_insert(session, t.webhook_deliveries, delivery_rows(rows, now))
            session.commit()
    with app.sessions() as session:
        session.execute(update(t.outbox_events).values(delivered_at=now))
        session.commit()
    # What autovacuum does after a bulk load (it is off on some machines, and a table never
    # analyzed is planned on default guesses). Nothing is vacuumed during the run itself.
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("webhook_endpoints", "webhook_deliveries", "outbox_events"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    return fan_out_rate


def delivered(
    app: Plansmith,
    workers: int,
    threads: int,
    batch: int,
    loops: int,
    total: int,
    ports: list[int],
) -> tuple[float, dict[int, list[int]], float]:
    """Seconds from the "go" until nothing is pending; peak RSS per worker at 10, 50 and
    100 %; the workers' CPU seconds in all."""
    procs = [
        _start("--worker", app.settings.database_url, str(threads), str(batch), str(loops))
        for _ in range(workers)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    rss: dict[int, list[int]] = {}
    marks = [10, 50]
    counted = 0.0
    while any(p.poll() is None for p in procs):
        # The progress for the RSS marks, once a second, from what the receivers got: counting
        # the pending rows in the database took a quarter to a third of a core from the
        # database being measured.
        if time.perf_counter() - counted >= 1.0:
            counted = time.perf_counter()
            done = 100 * sum(_count(p) for p in ports) / total
            while marks and done >= marks[0]:
                rss[marks.pop(0)] = [peak_rss_kib(p.pid) for p in procs]
        time.sleep(0.05)
    rss.setdefault(10, [0] * workers)
    rss.setdefault(50, [0] * workers)
    seconds = time.perf_counter() - started
    last = [p.communicate()[0].split() for p in procs]
    rss[100] = [int(words[-2]) for words in last]
    cpu = sum(float(words[-1]) for words in last)
    return seconds, rss, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16, help="per worker")
    parser.add_argument("--batch", type=int, default=200, help="deliveries taken per statement")
    parser.add_argument("--database", default="plansmith_bench_webhooks", help="made anew")
    parser.add_argument("--receiver", metavar="PORT_FILE", help=argparse.SUPPRESS)
    parser.add_argument(
        "--loops",
        type=int,
        default=Settings.model_fields["webhooks_loops"].default,
        help="delivery loops per worker (webhooks_loops)",
    )
    parser.add_argument(
        "--baselines",
        default="http.client",
        help="raw clients to measure, of " + ",".join(RAW_CLIENTS) + " (http.client is needed)",
    )
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--raw", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        return receiver(args.receiver)
    if args.worker:
        url, threads, batch, loops = args.worker
        return worker(url, int(threads), int(batch), int(loops))
    if args.raw:
        url, threads, part, parts, kind = args.raw
        return raw_client(url, int(threads), int(part), int(parts), kind)
    run(args)


def _raw(url: str, args: argparse.Namespace, kind: str, total: int) -> float:
    """Seconds the raw clients took for every body, ``--workers`` processes at once."""
    raws = [
        _start("--raw", url, str(args.threads), str(k), str(args.workers), kind)
        for k in range(args.workers)
    ]
    outs = [p.communicate()[0].split() for p in raws]
    assert sum(int(o[1]) for o in outs) == total, (kind, outs)
    return max(float(o[0]) for o in outs)


def _rate(total: int, seconds: float | None) -> str:
    return "—" if seconds is None else f"{total / seconds:,.0f}"


def _count(port: int) -> int:
    return int(httpx.get(f"http://127.0.0.1:{port}/count").text)


def run(args: argparse.Namespace) -> None:
    n, total = args.events, args.events * RECEIVERS
    folder = Path(f"/tmp/plansmith-bench-webhooks-{os.getpid()}")
    folder.mkdir(exist_ok=True)
    receivers, ports = [], []
    for k in range(RECEIVERS):
        port_file = folder / f"port{k}"
        receivers.append(_start("--receiver", str(port_file)))
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        ports.append(int(port_file.read_text()))
    try:
        url = fresh_database(args.database)
        app = bootstrap(Settings(database_url=url, secret_key="bench", webhooks_allow_private=True))
        made = time.perf_counter()
        fan_out_rate = setup(app, n, ports)
        print(
            f"setup: {n:,} events, {total:,} deliveries in {time.perf_counter() - made:.1f} s",
            flush=True,
        )
        seconds, rss, cpu = delivered(
            app, args.workers, args.threads, args.batch, args.loops, total, ports
        )
        d = t.webhook_deliveries.c
        with app.engine.connect() as connection:
            by_state = select(d.state, func.count()).group_by(d.state)
            states: dict[str, int] = {s: n for s, n in connection.execute(by_state)}
            attempts = connection.execute(
                select(func.count()).select_from(t.webhook_attempts)
            ).scalar_one()
        got = sum(_count(p) for p in ports)
        assert states == {"succeeded": total}, states
        assert attempts == total and got == total, (attempts, got)
        print(
            f"delivered: {total:,} in {seconds:.1f} s = {total / seconds:,.0f}/s; "
            f"peak RSS (KiB) {rss}; workers' CPU {1000 * cpu / total:.3f} ms a delivery",
            flush=True,
        )
        raw_seconds = {kind: _raw(url, args, kind, total) for kind in args.baselines.split(",")}
        app.dispose()
    finally:
        for p in receivers:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
    rate = total / seconds
    head = (
        "events",
        "deliveries",
        "workers x loops x threads",
        "seconds",
        "deliveries/s",
        "peak RSS at 10 % (MiB)",
        "at 50 %",
        "at 100 %",
        "raw httpx/s",
        "raw httpcore/s",
        "raw http.client/s",
        "ratio to raw http.client",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    mib = {k: " / ".join(f"{r / 1024:.0f}" for r in v) for k, v in rss.items()}
    print(
        f"| {n:,} | {total:,} | {args.workers} x {args.loops} x {args.threads} | {seconds:.1f} | "
        f"{rate:,.0f} | "
        f"{mib[10]} | {mib[50]} | {mib[100]} | "
        + "".join(f"{_rate(total, raw_seconds.get(kind))} | " for kind in RAW_CLIENTS)
        + f"{raw_seconds['http.client'] / seconds:.2f} |"
    )
    print(
        f"\nfan-out through the relay (sample of {min(SAMPLE, n):,} events, 3 endpoints): "
        f"{fan_out_rate:,.0f} events/s"
    )
    print(
        f"check: {total:,} deliveries succeeded with one attempt each; the receivers got {total:,}"
    )


if __name__ == "__main__":
    main()
