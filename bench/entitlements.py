"""Benchmark: the entitlement check (the operator's hot path, asked before each use) on
PostgreSQL, in process through the use case (no HTTP), against a raw baseline in the same run.

    .venv/bin/python bench/entitlements.py [--calls 2000] [--days 30]

1. A fresh migrated database: one organization, two meters, a plan with two features, a hard
   usage charge and a plain allowance, one Tokyo account subscribed, ``--days`` days of events
   (100 a day) sent through the ingest use case and an extra pack bought (not measured).
2. ``--calls`` calls of ``entitlements`` for the account (one meter and 1 unit asked), then as
   many of the bare driver reading the period's daily aggregates of the account (one
   ``SELECT`` with psycopg, no SQLAlchemy): p50 and p99 of each, and the ratio.

PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL overrides).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
from bench_postgres import fresh_database, raw_url  # the benchmarks' shared helpers

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plan_families
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog.extras import ExtraPackInput, create_extra_pack
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.payments.entitlements import entitlements
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.pack_purchases import buy_pack
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.application.usage.ingest import ingest
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Settings, bootstrap

START = datetime(2026, 2, 28, 15, tzinfo=UTC)  # 2026-03-01 00:00 in Tokyo


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
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    url = fresh_database("plansmith_bench_entitlements")
    clock = TestClock(START + timedelta(hours=9))
    app = bootstrap(Settings(database_url=url, secret_key="bench"), clock)
    org = create_organization(app.uow(), clock, "Bench Inc").id
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
    ours = _times(
        lambda: entitlements(app.uow(), org, account_id=account, meter="sessions", units="1"),
        args.calls,
    )
    start, end = date(2026, 3, 1), date(2026, 4, 1)
    with psycopg.connect(raw_url(url)) as raw:
        query = (
            "SELECT meter_id, sum(count) FROM usage_daily WHERE account_id = %s "
            "AND local_date >= %s AND local_date < %s GROUP BY meter_id"
        )
        bare = _times(lambda: raw.execute(query, (account, start, end)).fetchall(), args.calls)
    print("| path | calls | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name, found in (("entitlements (use case)", ours), ("raw aggregate SELECT", bare)):
        print(f"| {name} | {len(found)} | {_p(found, 50):.2f} | {_p(found, 99):.2f} |")
    print(f"ratio p50: {_p(ours, 50) / _p(bare, 50):.1f}x, p99: {_p(ours, 99) / _p(bare, 99):.1f}x")
    app.engine.dispose()


if __name__ == "__main__":
    main()
