"""Benchmark: the entitlement check (the operator's hot path, asked before each use) on
PostgreSQL, over HTTP from `plansmith serve` at a steady rate, and in process through the use
case, each against a raw baseline in the same run.

    .venv/bin/python bench/entitlements.py [--rates 500] [--seconds 20] [--workers 2]
        [--calls 1000] [--days 30]

1. A fresh migrated database: one organization with an API key, two meters, a plan with two
   features, a hard usage charge and a plain allowance, one Tokyo account subscribed, ``--days``
   days of events (100 a day) sent through the ingest use case and an extra pack bought (not
   measured).
2. Over HTTP: ``plansmith serve --workers W`` (this checkout's code, as bench/usage_prediction.py
   starts it), then the baseline app of bench/loadgen.py (uvicorn, the same workers and
   protocol) answering ``GET /aggregates`` from the one SELECT of the account's period
   aggregates. An open-loop client sends GET /v1/entitlements (one meter, 1 unit) at each of
   ``--rates`` requests/s for ``--seconds``, each request timed from its scheduled start; p50,
   p95, p99, the slowest, errors, and the CPU time per request of the server's processes and
   of the database's backends (from /proc: it moves less with the machine's load than the
   latency does), with ``uptime`` beside each figure.
3. In process: ``--calls`` calls of the use case, then as many of the bare driver reading the
   period's daily aggregates (one ``SELECT`` with psycopg, no SQLAlchemy): p50 and p99.

Target (issue 15): p99 < 5 ms at 500 requests/s with 2 workers. PostgreSQL on 127.0.0.1:5432
(PLANSMITH_BENCH_DATABASE_URL overrides).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from bench_postgres import fresh_database, raw_url  # the benchmarks' shared helpers
from loadgen import baseline_server, free_port, plansmith_server
from usage_ingest import Cpu
from usage_prediction import Sample, steady, warm

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plan_families
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog.extras import ExtraPackInput, create_extra_pack
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.payments.entitlements import entitlements
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.pack_purchases import buy_pack
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.application.usage.ingest import ingest
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Settings, bootstrap

START = datetime(2026, 2, 28, 15, tzinfo=UTC)  # 2026-03-01 00:00 in Tokyo
P99_TARGET_MS = 5.0


@dataclass(frozen=True)
class Served:
    name: str
    sample: Sample
    server_ms: float  # CPU per request, the server's processes
    database_ms: float  # CPU per request, the database's backends
    load: str  # uptime's load averages when the run ended


def _load() -> str:
    found = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    return found.strip().split("load average:")[-1].strip()


def _served(
    name: str, url: str, port: int, path: str, headers: dict[str, str], rate: float, s: float
) -> Served:
    with Cpu(url, port) as cpu:
        sample = steady(port, path, headers, rate, s)
    n = sample.requests
    return Served(name, sample, 1000 * cpu.server_s / n, 1000 * cpu.database_s / n, _load())


def _times(call: Callable[[], object], n: int) -> list[float]:
    found = []
    for _ in range(n):
        began = time.perf_counter()
        call()
        found.append((time.perf_counter() - began) * 1000)
    return found


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rates", default="500", help="requests per second, comma separated")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = fresh_database("plansmith_bench_entitlements")
    clock = TestClock(START + timedelta(hours=9))
    app = bootstrap(Settings(database_url=url, secret_key="bench"), clock)
    org = create_organization(app.uow(), clock, "Bench Inc").id
    api_key = create_api_key(app.uow(), clock, org, "bench").secret
    for code in ("sessions", "scans"):
        meter = {"code": code, "name": code, "event_code": code, "aggregation": "count"}
        create_meter(app.uow(), clock, org, meter)
    plan_families.create_family(app.uow(), clock, org, plan_families.FamilyInput("svc", "Svc"))
    charge = {
        "meter": "sessions",
        "currency": "JPY",
        "included": 1_000_000,
        "limit": "hard",
        "model": "per_unit",
        "unit_price": "1",
    }
    terms = {
        "base_prices": {"JPY": 1000},
        "charges": [charge],
        "allowances": {"scans": 10},
        "features": ["ai_assistant", "telegram"],
    }
    cat.create_plan(
        app.uow(), clock, org, cat.PlanInput("basic", "Basic", "svc", 0, terms, publish=True)
    )
    pack = ExtraPackInput("sessions_5", "Sessions 5", {"JPY": 500}, "sessions", 5)
    create_extra_pack(app.uow(), clock, org, pack)
    account = open_account(
        app.uow(), clock, org, AccountInput("Kato", "k@example.com", "JPY", time_zone="Asia/Tokyo")
    ).id
    sub = subscribe(app.uow(), clock, org, SubscribeInput(account, "basic")).view.subscription.id
    gateway = app.gateway_for(org)
    add_card(app.uow(), gateway, clock, org, account, source="tok_sandbox_success")
    buy_pack(app.uow(), gateway, clock, org, sub, "sessions_5")
    for day in range(args.days):
        clock.set(START + timedelta(days=day, hours=9))
        at = (START + timedelta(days=day, hours=9)).isoformat()
        events = [
            {"id": f"e{day}-{n}", "account_id": account, "code": "sessions", "timestamp": at}
            for n in range(100)
        ]
        ingest(app.uow(), clock, org, events)
    app.engine.dispose()
    start, end = date(2026, 3, 1), date(2026, 4, 1)
    served = _over_http(url, args, api_key, account, start, end)
    app = bootstrap(Settings(database_url=url, secret_key="bench"), clock)
    ours = _times(
        lambda: entitlements(app.uow(), org, account_id=account, meter="sessions", units="1"),
        args.calls,
    )
    with psycopg.connect(raw_url(url)) as raw:
        query = (
            "SELECT meter_id, sum(count) FROM usage_daily WHERE account_id = %s "
            "AND local_date >= %s AND local_date < %s GROUP BY meter_id"
        )
        bare = _times(lambda: raw.execute(query, (account, start, end)).fetchall(), args.calls)
    in_process_load = _load()
    app.engine.dispose()

    print(f"\nover HTTP, {args.workers} server workers, {args.seconds:.0f} s per rate")
    print(
        "| what | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| server CPU ms/req | database CPU ms/req | load (1, 5, 15 min) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for x in served:
        m = x.sample
        print(
            f"| {x.name} | {m.rate:.0f} | {m.p50:.2f} | {m.p95:.2f} | {m.p99:.2f} | "
            f"{m.worst:.1f} | {m.errors} | {x.server_ms:.2f} | {x.database_ms:.2f} | {x.load} |"
        )
    for ours_http, raw_http in zip(served[::2], served[1::2], strict=True):
        a, b = ours_http.sample, raw_http.sample
        verdict = "met" if a.p99 < P99_TARGET_MS and a.errors == 0 else "NOT met"
        print(
            f"{a.rate:.0f} req/s: p99 {a.p99:.2f} ms ({a.p99 / b.p99:.1f}x the raw app's), "
            f"p50 {a.p50 / b.p50:.1f}x, server CPU per request "
            f"{ours_http.server_ms / raw_http.server_ms:.1f}x; target p99 < "
            f"{P99_TARGET_MS:.0f} ms: {verdict}"
        )
    print(f"\nin process, load {in_process_load}")
    print("| path | calls | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name, found in (("entitlements (use case)", ours), ("raw aggregate SELECT", bare)):
        print(f"| {name} | {len(found)} | {_p(found, 50):.2f} | {_p(found, 99):.2f} |")
    print(f"ratio p50: {_p(ours, 50) / _p(bare, 50):.1f}x, p99: {_p(ours, 99) / _p(bare, 99):.1f}x")


def _over_http(
    url: str,
    args: argparse.Namespace,
    api_key: str,
    account: str,
    start: date,
    end: date,
) -> list[Served]:
    """Each rate against plansmith, then the raw app, each server started once. The servers
    keep the wall clock, renewals off: the check reads the subscription's stored period (the
    one the events fall in), as it does between two renewals."""
    path = f"/v1/entitlements?account_id={account}&meter=sessions&units=1"
    raw_path = f"/aggregates?account_id={account}&start={start}&end={end}"
    bearer = {"Authorization": f"Bearer {api_key}"}
    rates = [float(r) for r in args.rates.split(",")]
    found: dict[tuple[float, str], Served] = {}
    port = free_port()
    with plansmith_server(url, port, args.workers):
        warm(port, path, bearer, 200)
        for rate in rates:
            found[(rate, "p")] = _served(
                "GET /v1/entitlements", url, port, path, bearer, rate, args.seconds
            )
    port = free_port()
    with baseline_server(url, port, args.workers):
        warm(port, raw_path, {}, 200)
        for rate in rates:
            found[(rate, "r")] = _served(
                "raw app: one aggregates SELECT", url, port, raw_path, {}, rate, args.seconds
            )
    return [found[(rate, kind)] for rate in rates for kind in ("p", "r")]


if __name__ == "__main__":
    main()
