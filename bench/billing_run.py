"""Benchmark: the billing run over N due subscriptions on PostgreSQL, billed by worker processes.

    .venv/bin/python bench/billing_run.py [--subscriptions 100000] [--workers 2] [--batch 500]
        [--analyze-every 2] [--database plansmith_bench] [--in-process [--profile FILE]]

What it does, all in one run on one machine:
1. A fresh database (``plansmith_bench``) with one organization, one monthly plan (USD 10.00)
   and one customer subscribed through the use cases, 40 days ago, and billed. That customer
   and its subscription are then copied N-1 times in SQL (the setup is not measured), so N
   subscriptions passed a period end 10 days ago: each is due one renewal, one invoice.
2. ``plansmith worker`` processes (Dramatiq on Redis) are started; the run is dispatched as in
   ``plansmith bill`` with PLANSMITH_REDIS_URL set, and timed from the dispatch until the run's
   record says it finished (its last job's commit: every invoice is committed by then). Peak
   RSS of each worker (VmHWM) is read at the end. While it runs the bench does what
   autovacuum's analyze would (``--analyze-every``, 2 s; bench_postgres.Autoanalyze): the run
   grows invoices and ledger entries from one row to N, and on a PostgreSQL with autovacuum
   off every batch was planned on statistics that said so (the open invoices' read took the
   status index and filtered every invoice of the run, 350 ms a batch at 30,000).
3. The baseline: the same rows the run wrote (subscriptions, held-term spans, events, items,
   invoices, lines, ledger transactions and entries) are written again by raw psycopg into
   empty copies of those tables, one transaction per batch, in one process: once as
   executemany (pipelined INSERTs), once with COPY (what plansmith itself uses). The ratios say
   what the billing rules, the guards, the reads and the job system cost over just writing
   the rows.

``--in-process`` bills in this process instead, one transaction per batch (no workers, no
baseline), and reports the CPU it and the database used; with ``--profile FILE`` under
cProfile, the profile written to FILE (read it with ``python -m pstats FILE``).

Needs PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL overrides) and Redis on
127.0.0.1:6379 (PLANSMITH_BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis
from bench_postgres import (  # the benchmarks' shared PostgreSQL helpers
    REDIS_URL,
    Autoanalyze,
    backends_cpu,
    copy_rows,
    cpu_seconds,
    cpu_since,
    fresh_database,
    peak_rss_kib,
    raw_url,
)

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.jobs import dispatch_run
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.worker import billing_jobs, collect_for_batches

PLANSMITH = Path(sys.executable).with_name("plansmith")
# What one renewal writes, table by table (the baseline writes the same rows).
WRITTEN = (
    "subscription_spans",
    "subscription_events",
    "subscription_items",
    "invoices",
    "invoice_lines",
    "ledger_transactions",
    "ledger_entries",
)


def template(url: str, now: datetime) -> tuple[str, str, str]:
    """One customer subscribed 40 days ago and billed; (org, account, subscription) ids."""
    clock = TestClock(now - timedelta(days=40))
    app = bootstrap(Settings(database_url=url, secret_key="bench", invoice_grace_minutes=0), clock)
    org = create_organization(app.uow(), clock, "Bench Inc").id
    families.create_family(app.uow(), clock, org, families.FamilyInput("service", "Service"))
    terms = {"base_prices": {"USD": 1000}}
    cat.create_plan(
        app.uow(), clock, org, cat.PlanInput("std", "Std", "service", 1, terms, [], True)
    )
    account = open_account(app.uow(), clock, org, AccountInput("Customer", "c@example.com", "USD"))
    sub = subscribe(app.uow(), clock, org, SubscribeInput(account.id, "std")).view.subscription
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    app.dispose()
    return org, account.id, sub.id


def clone(url: str, account_id: str, sub_id: str, n: int) -> None:
    account = f"'{account_id}_' || g"
    subscription = f"'{sub_id}_' || g"
    with psycopg.connect(raw_url(url)) as connection, connection.cursor() as cursor:
        copy_rows(
            cursor,
            "accounts",
            f"src.id = '{account_id}'",
            {
                "id": account,
                "email": "'c' || g || '@example.com'",
                "name": "'Customer ' || g",
                "external_id": "NULL",
            },
            n,
        )
        copy_rows(
            cursor,
            "subscriptions",
            f"src.id = '{sub_id}'",
            {"id": subscription, "account_id": account},
            n,
        )
        copy_rows(
            cursor,
            "subscription_spans",
            f"src.subscription_id = '{sub_id}'",
            {
                "subscription_id": subscription,
                "account_id": account,
            },
            n,
        )
        copy_rows(
            cursor,
            "subscription_events",
            f"src.subscription_id = '{sub_id}'",
            {
                "id": "src.id || '_' || g",
                "subscription_id": subscription,
            },
            n,
        )
        cursor.execute("ANALYZE")


def count(url: str, table: str) -> int:
    with psycopg.connect(raw_url(url)) as connection:
        row = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        assert row is not None
        return int(row[0])


def run_status(connection: psycopg.Connection[tuple[object, ...]], run_id: str) -> str:
    found = connection.execute("SELECT status FROM billing_runs WHERE id = %s", [run_id]).fetchone()
    assert found is not None
    return str(found[0])


@dataclass(frozen=True)
class Billed:
    seconds: float
    rss_kib: list[int]
    workers_cpu: float  # seconds, all workers
    database_cpu: float  # seconds, the database's server processes


def billed_by_workers(
    url: str, org: str, n: int, workers: int, batch: int, analyze_every: float
) -> Billed:
    namespace = f"plansmith-bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PLANSMITH_SECRET_KEY": "bench",
        "PLANSMITH_REDIS_URL": REDIS_URL,
        "PLANSMITH_JOB_NAMESPACE": namespace,
        # The run alone: the workers' outbox relay (handing the run's events to e-mail notices
        # and webhooks, a pipeline of its own) waits until after it.
        "PLANSMITH_RELAY_EVERY_SECONDS": "0",
        "PLANSMITH_INVOICE_GRACE_MINUTES": "0",
    }
    procs = [
        subprocess.Popen([str(PLANSMITH), "worker"], env=env, stderr=subprocess.PIPE)
        for _ in range(workers)
    ]
    try:
        time.sleep(3)  # let the workers connect
        settings = Settings(
            database_url=url, secret_key="bench", redis_url=REDIS_URL, job_namespace=namespace
        )
        app = bootstrap(settings)
        jobs = billing_jobs(app)
        poll = psycopg.connect(raw_url(url), autocommit=True)
        workers_before, database_before = [cpu_seconds(p.pid) for p in procs], backends_cpu(url)
        start = time.perf_counter()
        with Autoanalyze(url, (*WRITTEN, "subscriptions"), analyze_every) as analyzing:
            dispatch = dispatch_run(app.uow(), app.clock, org, jobs, batch=batch, watch=app.watch)
            assert dispatch.sent >= n, dispatch.sent
            # The last job's commit finishes the run: every invoice is committed by then. (Its
            # record is one row by key; counting the invoices instead would cost the database
            # a scan of a growing table 20 times a second.)
            while run_status(poll, dispatch.run_id) == "running":
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        print(f"ANALYZE during the run: {analyzing.runs} (every {analyze_every:g} s at most)")
        rss = [peak_rss_kib(p.pid) for p in procs]
        used = sum(cpu_seconds(p.pid) for p in procs) - sum(workers_before)
        database = cpu_since(database_before, backends_cpu(url))
        poll.close()
        app.dispose()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    return Billed(elapsed, rss, used, database)


def baseline(url: str, batch: int) -> tuple[float, float, int]:
    """The rows the run wrote, written again by raw psycopg into empty copies of the tables,
    one transaction per batch: once with executemany (pipelined INSERTs), once with COPY.
    Returns (executemany seconds, COPY seconds, rows)."""
    with psycopg.connect(raw_url(url)) as connection:
        rows: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
        for table in (*WRITTEN, "subscriptions"):
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            names = [d.name for d in cursor.description or ()]
            rows[table] = (names, cursor.fetchall())
            for kind in ("many", "copy"):
                connection.execute(
                    f'CREATE TABLE "bench_{kind}_{table}" (LIKE "{table}" INCLUDING ALL)'
                )
        connection.commit()
        total = sum(len(r) for _n, r in rows.values())
        chunks = max(1, len(rows["subscriptions"][1]) // batch)
        timings = []
        for kind in ("many", "copy"):
            start = time.perf_counter()
            for k in range(chunks):
                with connection.transaction(), connection.cursor() as cursor:
                    for table, (names, data) in rows.items():
                        part = data[k::chunks]
                        cols = ", ".join(f'"{c}"' for c in names)
                        into = f'"bench_{kind}_{table}" ({cols})'
                        if kind == "many":
                            marks = ", ".join(["%s"] * len(names))
                            cursor.executemany(f"INSERT INTO {into} VALUES ({marks})", part)
                            continue
                        with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                            for row in part:
                                copy.write_row(row)
            timings.append(time.perf_counter() - start)
    return timings[0], timings[1], total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", default="plansmith_bench", help="dropped and made anew")
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=2.0,
        help="seconds between autovacuum's analyze checks, done by the bench (0: none)",
    )
    parser.add_argument("--in-process", action="store_true", help="bill in this process")
    parser.add_argument("--profile", metavar="FILE", help="in-process, under cProfile")
    args = parser.parse_args()
    n = args.subscriptions
    now = datetime.now(UTC)
    url = fresh_database(args.database)
    org, account_id, sub_id = template(url, now)
    setup = time.perf_counter()
    clone(url, account_id, sub_id, n)
    print(f"setup: {n:,} due subscriptions in {time.perf_counter() - setup:.1f} s", flush=True)
    if args.in_process or args.profile:
        in_process(url, org, n, args.batch, args.profile)
        return
    redis.Redis.from_url(REDIS_URL).ping()
    billed = billed_by_workers(url, org, n, args.workers, args.batch, args.analyze_every)
    elapsed, rss = billed.seconds, billed.rss_kib
    invoices = count(url, "invoices") - 1  # less the template's first invoice
    numbers_ok = _gapless(url)
    many, copied, rows = baseline(url, args.batch)
    rate = invoices / elapsed
    print()
    head = (
        "subscriptions",
        "workers",
        "invoices",
        "seconds",
        "invoices/s",
        "peak RSS per worker (MiB)",
        f"raw SQL, same {rows:,} rows: executemany s",
        "COPY s",
        "ratio to executemany",
        "ratio to COPY",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    print(
        f"| {n:,} | {args.workers} | {invoices:,} | {elapsed:.1f} | {rate:,.0f} | "
        f"{' / '.join(f'{r / 1024:.0f}' for r in rss)} | {many:.1f} | {copied:.1f} | "
        f"{elapsed / many:.1f}x | {elapsed / copied:.1f}x |"
    )
    print(f"\nnumbers INV-000001..INV-{n + 1:06d} without a gap: {numbers_ok}")
    print(
        f"CPU per 1,000 invoices: workers {1000 * billed.workers_cpu / invoices:.2f} s, "
        f"the database's server processes {1000 * billed.database_cpu / invoices:.2f} s "
        "(less noisy than the rate on a busy machine)"
    )


def in_process(url: str, org: str, n: int, batch: int, profile_into: str | None) -> None:
    """The run in this process, one transaction per batch as a worker's jobs do it."""
    app = bootstrap(Settings(database_url=url, secret_key="bench", invoice_grace_minutes=0))
    collect_for_batches()  # as a worker does
    with app.engine.connect():  # open the run's connection, so its process is counted
        database_before = backends_cpu(url)
    # CPU time, not wall time: the time spent waiting for the database is not this process's.
    profile = cProfile.Profile(time.process_time) if profile_into else None
    start, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    run_billing(app.uow(), app.clock, org, grace=timedelta(0), batch=batch)
    if profile is not None:
        profile.disable()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    database_cpu = cpu_since(database_before, backends_cpu(url))
    app.dispose()
    invoices = count(url, "invoices") - 1
    assert invoices == n, invoices
    how = "profiled" if profile is not None else "not profiled"
    print(f"in one process, {how}: {invoices / elapsed:,.0f} invoices/s ({elapsed:.1f} s)")
    print(
        f"CPU per 1,000 invoices: this process {1000 * cpu / n:.2f} s, "
        f"the database's server processes {1000 * database_cpu / n:.2f} s"
    )
    if profile is not None and profile_into is not None:
        profile.dump_stats(profile_into)
        pstats.Stats(profile_into).sort_stats("tottime").print_stats(25)


def _gapless(url: str) -> bool:
    with psycopg.connect(raw_url(url)) as connection:
        row = connection.execute(
            "SELECT count(*), count(DISTINCT number), min(number), max(number) FROM invoices"
        ).fetchone()
    assert row is not None
    n, distinct, low, high = row
    return bool(n == distinct and low == "INV-000001" and high == f"INV-{n:06d}")


if __name__ == "__main__":
    main()
