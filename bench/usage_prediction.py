"""Benchmark: the invoice prediction of an account with 1,000,000 usage events in its period,
over HTTP from `plansmith serve`, at a steady rate, against raw baselines in the same run.

    .venv/bin/python bench/usage_prediction.py [--events 1000000] [--rate 50] [--seconds 20]
        [--workers 2] [--database plansmith_bench_prediction]

What it does, all in one run on one machine:
1. A fresh PostgreSQL database (migrated: the real schema), one organization with an API key,
   two meters reading `api_call` events (`calls` counts them, `bytes` sums a property), a plan
   charging both, and one account (UTC) subscribed 20 days ago through the use cases (its
   monthly period holds today). Not measured.
2. ``--events`` events dated over the 20 days so far are written to ``usage_events`` with COPY
   (the real table, its 8 hash partitions and its unique key), and their daily aggregates
   through the ingest's own aggregate path (``uow.usage.add_daily``, the upsert every accepted
   batch runs) with the deltas the ingest computes per account, meter and local date. Not
   measured; the events are counted back to check.
3. ``plansmith serve --workers W`` (this checkout's code) and the baseline app of bench/api.py
   (one route, ``SELECT 1`` through a SQLAlchemy pool, same workers and protocol) as
   subprocesses. An open-loop client sends GET /v1/accounts/{id}/prediction at ``--rate``
   requests/s for ``--seconds`` (each request timed from its scheduled start, so a stall
   counts against every request it delays), then the baseline the same way; p50, p95, p99,
   and the CPU time per request of the server's processes and the database's backends (from
   /proc: it moves less with the machine's load than the latency does).
4. Raw reads in this process, no HTTP: the one statement that reads the period's aggregates
   (what the prediction reads of usage), and for scale the same figures summed from the raw
   events (what a prediction without aggregates would cost).

Target: p99 < 50 ms. Needs PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from bench_postgres import fresh_database, raw_url
from loadgen import baseline_server, free_port, plansmith_server
from sqlalchemy import text
from usage_ingest import Cpu

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.tables.base import encode_json
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.application.usage.meters import create_meter
from plansmith.application.usage.ports import DailyDelta
from plansmith.bootstrap import Plansmith, Settings, bootstrap

SECRET = "bench"
DAYS = 20  # days of the period so far
P99_TARGET_MS = 50.0
MICROS = 1_000_000


@dataclass
class Fixture:
    url: str
    api_key: str
    account_id: str
    organization_id: str
    period_start: date
    period_end: date


def populate(url: str, events: int) -> Fixture:
    now = datetime.now(UTC)
    start = now - timedelta(days=DAYS)
    app = bootstrap(Settings(database_url=url, secret_key=SECRET), clock=TestClock(start))
    uow, clock = app.uow, app.clock
    org = create_organization(uow(), clock, "Bench Operator").id
    key = create_api_key(uow(), clock, org, "bench").secret
    for meter in (
        {"code": "calls", "name": "Calls", "event_code": "api_call", "aggregation": "count"},
        {
            "code": "bytes",
            "name": "Bytes",
            "event_code": "api_call",
            "aggregation": "sum",
            "property": "bytes",
        },
    ):
        create_meter(uow(), clock, org, meter)
    create_family(uow(), clock, org, FamilyInput("api", "API plans"))
    terms = {
        "base_prices": {"USD": 4900},
        "charges": [
            {
                "meter": "calls",
                "currency": "USD",
                "included": 100_000,
                "model": "graduated",
                "tiers": [
                    {"up_to": "1000000", "unit_price": "0.0025"},
                    {"up_to": None, "unit_price": "0.0015", "flat_fee": "1.00"},
                ],
            },
            {"meter": "bytes", "currency": "USD", "model": "per_unit", "unit_price": "0.00001"},
        ],
    }
    create_plan(uow(), clock, org, PlanInput("metered", "Metered", "api", 0, terms, publish=True))
    data = AccountInput("Bench customer", "bench@bench.example", "USD", time_zone="UTC")
    account = open_account(uow(), clock, org, data).id
    sub = subscribe(uow(), clock, org, SubscribeInput(account, "metered", trial=False))
    period = sub.view.subscription.period
    _events(app, url, org, account, start, events)
    app.dispose()
    return Fixture(url, key, account, org, period.start, period.end)


def _events(app: Plansmith, url: str, org: str, account: str, start: datetime, n: int) -> None:
    """n events over the days so far, COPYed; their aggregates through the ingest's upsert."""
    with app.uow() as uow:
        meters = {m.code: m.id for m in uow.meters.list(org)}
    rng = random.Random(15)
    sums: dict[date, list[int]] = {}
    received = datetime.now(UTC)
    first = start.date() + timedelta(days=1)
    columns = "account_id, event_id, organization_id, code, timestamp, local_date, properties"
    with (
        psycopg.connect(raw_url(url)) as connection,
        connection.cursor() as cursor,
        cursor.copy(f"COPY usage_events ({columns}, received_at) FROM STDIN") as copy,
    ):
        for i in range(n):
            day = first + timedelta(days=i % DAYS)
            at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            size = rng.randrange(100, 100_000)
            props = encode_json({"bytes": size})
            copy.write_row((account, f"e-{i}", org, "api_call", at, day, props, received))
            found = sums.setdefault(day, [0, 0])
            found[0] += 1
            found[1] += size * MICROS
    deltas = [
        delta
        for day, (count, total) in sorted(sums.items())
        for delta in (
            DailyDelta(account, meters["calls"], day, count, 0, None),
            DailyDelta(account, meters["bytes"], day, count, total, None),
        )
    ]
    with app.uow() as uow:
        uow.usage.add_daily(org, deltas)
        uow.commit()
    with psycopg.connect(raw_url(url)) as connection:
        counted = connection.execute(
            "SELECT count(*) FROM usage_events WHERE account_id = %s", (account,)
        ).fetchone()
        assert counted is not None and counted[0] == n, counted
        connection.execute("ANALYZE")


# -- the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    rate: float
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    worst: float


def _percentiles(times_ms: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(times_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def steady(port: int, path: str, headers: dict[str, str], rate: float, seconds: float) -> Sample:
    """Open loop: request k is due at t0 + k / rate and timed from then; 16 threads, each with
    its own keep-alive connection."""
    total = int(rate * seconds)
    local = threading.local()
    errors = 0
    lock = threading.Lock()

    def one(due: float) -> float:
        nonlocal errors
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local.conn.request("GET", path, headers=headers)
        answer = local.conn.getresponse()
        answer.read()
        if answer.status != 200:
            with lock:
                errors += 1
        return (time.perf_counter() - due) * 1000

    t0 = time.perf_counter() + 0.2
    with ThreadPoolExecutor(16) as pool:
        times = list(pool.map(one, [t0 + k / rate for k in range(total)]))
    p50, p95, p99 = _percentiles(times)
    return Sample(rate, total, errors, p50, p95, p99, max(times))


def warm(port: int, path: str, headers: dict[str, str], n: int = 50) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            sys.exit(f"GET {path}: {answer.status} {body[:500]!r}")
    conn.close()


def timed(action: Callable[[], object], n: int) -> tuple[float, float, float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return _percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="plansmith_bench_prediction")
    args = parser.parse_args()

    url = fresh_database(args.database)
    started = time.perf_counter()
    f = populate(url, args.events)
    took = time.perf_counter() - started
    print(f"setup: {args.events:,} events COPYed and aggregated in {took:.1f} s")
    path = f"/v1/accounts/{f.account_id}/prediction"
    bearer = {"Authorization": f"Bearer {f.api_key}"}

    ports = {"plansmith": free_port(), "baseline": free_port()}
    with plansmith_server(url, ports["plansmith"], args.workers):
        warm(ports["plansmith"], path, bearer)
        conn = http.client.HTTPConnection("127.0.0.1", ports["plansmith"])
        conn.request("GET", path, headers=bearer)
        answer = json.loads(conn.getresponse().read())
        with Cpu(url, ports["plansmith"]) as ours:
            prediction = steady(ports["plansmith"], path, bearer, args.rate, args.seconds)
    with baseline_server(url, ports["baseline"], args.workers):
        warm(ports["baseline"], "/select1", {})
        with Cpu(url, ports["baseline"]) as theirs:
            baseline = steady(ports["baseline"], "/select1", {}, args.rate, args.seconds)

    app = bootstrap(Settings(database_url=url, secret_key=SECRET))

    def aggregates() -> object:
        with app.uow() as uow:
            return uow.usage.totals(f.organization_id, f.account_id, f.period_start, f.period_end)

    raw_events = text(
        "SELECT count(*), sum(((properties::json)->>'bytes')::bigint) FROM usage_events "
        "WHERE account_id = :a AND local_date >= :s AND local_date < :e"
    )

    def events() -> object:
        with app.engine.connect() as connection:
            params = {"a": f.account_id, "s": f.period_start, "e": f.period_end}
            return connection.execute(raw_events, params).one()

    aggregate_read = timed(aggregates, 200)
    event_read = timed(events, 5)
    app.dispose()

    [sub] = answer["subscriptions"]
    print(
        f"\naccount {f.account_id}: period {sub['period_start']}..{sub['period_end']}, "
        f"day {sub['elapsed_days']} of {sub['period_days']}; "
        + ", ".join(
            f"{x['component']} {x['quantity_so_far']} -> {x['quantity_projected']}"
            for x in sub["lines"]
        )
        + f"; so far {sub['so_far']}, estimate {sub['estimate']} (USD cents)"
    )
    print(f"\n{args.rate:.0f} requests/s for {args.seconds:.0f} s, {args.workers} server workers")
    print(
        f"{'what':<44} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}"
        f" {'server CPU ms/req':>18} {'db CPU ms/req':>14}"
    )
    for name, s, cpu in (
        ("GET /v1/accounts/{id}/prediction (HTTP)", prediction, ours),
        ("baseline: SELECT 1 app (HTTP)", baseline, theirs),
    ):
        print(
            f"{name:<44} {s.p50:8.2f} {s.p95:8.2f} {s.p99:8.2f} {s.worst:8.2f} {s.errors:7d}"
            f" {1000 * cpu.server_s / s.requests:18.2f} {1000 * cpu.database_s / s.requests:14.2f}"
        )
    for name, (p50, p95, p99) in (
        ("raw: the aggregates' read (1 statement)", aggregate_read),
        ("raw: the same summed from the events", event_read),
    ):
        print(f"{name:<44} {p50:8.2f} {p95:8.2f} {p99:8.2f} {'':>8} {'':>7}")
    verdict = "met" if prediction.p99 < P99_TARGET_MS else "NOT met"
    print(
        f"\np99 {prediction.p99:.2f} ms, {prediction.p99 / baseline.p99:.1f}x the baseline app's "
        f"(p50 {prediction.p50 / baseline.p50:.1f}x); target p99 < {P99_TARGET_MS:.0f} ms: "
        f"{verdict}"
    )
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())


if __name__ == "__main__":
    main()
