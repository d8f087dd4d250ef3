"""Benchmark: the collection run over N due invoices on PostgreSQL, collected by worker processes
through the sandbox gateway.

    .venv/bin/python bench/collection_run.py [--invoices 100000] [--workers 2] [--threads 1]
        [--database plansmith_bench_collection] [--in-process N [--profile FILE]]

What it does, all in one run on one machine:
1. A fresh database with one organization, one monthly plan (USD 10.00) and one customer with
   a default sandbox card (the ready-made token ``tok_sandbox_success``), subscribed through the
   use cases 40 minutes ago and billed with no grace: one open invoice owing USD 10.00. That
   customer is then copied N-1 times in SQL, one ``INSERT … SELECT … generate_series`` per
   table (the setup, not measured): the account, its subscription and held-term span, its card
   at the gateway (``sandbox_cards``) and in plansmith (``payment_methods``, the default), its
   invoice (numbered on), the invoice's line and the ledger transaction and entries that
   finalizing it posted. So N invoices are due for their first attempt, each with a card that
   succeeds: what the collection's ``due`` query looks for.
2. ``plansmith worker`` processes (Dramatiq on Redis, the documented production setup) are
   started; the collection run is dispatched as the timer in ``plansmith serve`` and
   ``plansmith pay collect`` do it with PLANSMITH_REDIS_URL set (one ``collect_invoices`` job
   per batch of 500 invoices), and timed from the dispatch until the last job is done (the
   collection queue is empty). Each worker's peak RSS (VmHWM) is read when 10 %, 50 % and
   100 % of the invoices are done. The script checks that every invoice is paid by exactly
   one payment, and that the gateway captured exactly N charges.
3. The baseline: the rows the run wrote (payments, the payment ledger transactions and their
   entries, the gateway's charges, the outbox events) are written again by raw psycopg into
   empty copies of those tables, and the invoices' changes (status, amount due, paid at) are
   applied again to a copy of the invoices table, with plain executemany, one transaction per
   500 invoices, in one process. The ratio says what the rules, the guards (the in-flight
   payment, the conditional settle, the row locks), the separate transactions around the
   gateway call and the job system cost over just writing the rows.

``--in-process N`` collects N of the invoices in this process instead (``run_collection``, no
workers, no baseline) and reports the rate and the CPU it and the database used; with
``--profile FILE`` under cProfile (CPU time), the profile written to FILE.

Needs PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL overrides) and Redis on
127.0.0.1:6379 (PLANSMITH_BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import redis
from bench_postgres import (  # the benchmarks' shared PostgreSQL helpers
    REDIS_URL,
    Row,
    backends_cpu,
    copy_rows,
    cpu_seconds,
    cpu_since,
    fresh_database,
    peak_rss_kib,
    raw_url,
)
from loadgen import plansmith_workers
from sqlalchemy import text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.jobs import DramatiqBillingJobs
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.jobs import dispatch_collection
from plansmith.application.payments.methods import add_card
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.worker import billing_jobs, collect_for_batches

PRICE = 1000  # USD 10.00
BATCH = 500  # the baseline's transaction size, and the run's walk


@dataclass(frozen=True)
class Template:
    organization_id: str
    account_id: str
    subscription_id: str
    invoice_id: str
    method_id: str
    token: str


def template(url: str, now: datetime) -> Template:
    """One customer with a default sandbox card, subscribed 40 minutes ago and billed: one
    open invoice owing USD 10.00."""
    clock = TestClock(now - timedelta(minutes=40))
    app = bootstrap(Settings(database_url=url, secret_key="bench", invoice_grace_minutes=0), clock)
    org = create_organization(app.uow(), clock, "Bench Inc").id
    families.create_family(app.uow(), clock, org, families.FamilyInput("service", "Service"))
    terms = {"base_prices": {"USD": PRICE}}
    cat.create_plan(
        app.uow(), clock, org, cat.PlanInput("std", "Std", "service", 1, terms, [], True)
    )
    account = open_account(app.uow(), clock, org, AccountInput("Customer", "c@example.com", "USD"))
    card = add_card(
        app.uow(), app.gateway_for(org), clock, org, account.id, source="tok_sandbox_success"
    ).method
    sub = subscribe(app.uow(), clock, org, SubscribeInput(account.id, "std")).view.subscription
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    with app.engine.connect() as connection:
        invoice_id = connection.execute(
            text("SELECT id FROM invoices WHERE status = 'open' AND amount_due = :d"),
            {"d": PRICE},
        ).scalar_one()
    app.dispose()
    return Template(org, account.id, sub.id, invoice_id, card.id, card.token)


def clone(url: str, tpl: Template, n: int) -> None:
    """The template customer copied n-1 times (see the module's docstring), in one
    transaction; ids get a suffix ``_g`` for copy g."""
    account = f"'{tpl.account_id}_' || g"
    subscription = f"'{tpl.subscription_id}_' || g"
    invoice = f"'{tpl.invoice_id}_' || g"
    suffixed = "src.{} || '_' || g"
    with psycopg.connect(raw_url(url)) as connection, connection.cursor() as cursor:
        copy_rows(
            cursor,
            "accounts",
            f"src.id = '{tpl.account_id}'",
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
            f"src.id = '{tpl.subscription_id}'",
            {"id": subscription, "account_id": account},
            n,
        )
        copy_rows(
            cursor,
            "subscription_spans",
            f"src.subscription_id = '{tpl.subscription_id}'",
            {"subscription_id": subscription, "account_id": account},
            n,
        )
        copy_rows(
            cursor,
            "sandbox_cards",
            f"src.token = '{tpl.token}'",
            {"token": suffixed.format("token"), "customer_ref": suffixed.format("customer_ref")},
            n,
        )
        copy_rows(
            cursor,
            "payment_methods",
            f"src.id = '{tpl.method_id}'",
            {
                "id": suffixed.format("id"),
                "account_id": account,
                "token": suffixed.format("token"),
                "customer_ref": suffixed.format("customer_ref"),
            },
            n,
        )
        copy_rows(
            cursor,
            "invoices",
            f"src.id = '{tpl.invoice_id}'",
            {
                "id": invoice,
                "account_id": account,
                "subscription_id": subscription,
                "number": "'INV-' || lpad(g::text, 6, '0')",
            },
            n,
        )
        copy_rows(
            cursor,
            "invoice_lines",
            f"src.invoice_id = '{tpl.invoice_id}'",
            {"invoice_id": invoice, "source_id": suffixed.format("source_id")},
            n,
        )
        copy_rows(
            cursor,
            "ledger_transactions",
            f"src.account_id = '{tpl.account_id}'",
            {
                "id": suffixed.format("id"),
                "account_id": account,
                "reference": f"CASE WHEN src.reference = '{tpl.invoice_id}' THEN {invoice} "
                "ELSE src.reference || '_' || g END",
            },
            n,
        )
        copy_rows(
            cursor,
            "ledger_entries",
            f"src.account_id = '{tpl.account_id}'",
            {"transaction_id": suffixed.format("transaction_id"), "account_id": account},
            n,
        )
        cursor.execute("ANALYZE")


class CountingJobs:
    """The job system, counting what the dispatch sent: each job's invoices, in order."""

    def __init__(self, jobs: DramatiqBillingJobs) -> None:
        self.jobs = jobs
        self.sizes: list[int] = []

    def collect_invoices(self, organization_id: str, invoice_ids: Sequence[str]) -> None:
        self.jobs.collect_invoices(organization_id, invoice_ids)
        self.sizes.append(len(invoice_ids))

    def finished(self, pending: int) -> int:
        """Invoices of the jobs done: those sent less the ``pending`` jobs (the last sent)."""
        return sum(self.sizes[: max(0, len(self.sizes) - pending)])


@dataclass
class Collected:
    seconds: float = 0.0
    dispatch_seconds: float = 0.0
    rss_kib: dict[int, list[int]] = field(default_factory=dict)  # jobs done -> per worker
    workers_cpu: float = 0.0  # seconds per job, all workers, after the first mark
    database_cpu: float = 0.0  # seconds per job, the database's server processes


def collected_by_workers(url: str, org: str, n: int, workers: int, threads: int) -> Collected:
    namespace = f"plansmith-bench-{uuid.uuid4().hex[:8]}"
    env = {
        "PLANSMITH_REDIS_URL": REDIS_URL,
        "PLANSMITH_JOB_NAMESPACE": namespace,
        # The run alone: the workers' outbox relay (handing the run's events to e-mail notices
        # and webhooks, a pipeline of its own) waits until after it.
        "PLANSMITH_RELAY_EVERY_SECONDS": "0",
    }
    with plansmith_workers(url, workers, env, threads) as procs:
        return _collected_by_workers(url, org, n, procs, namespace)


def _collected_by_workers(
    url: str, org: str, n: int, procs: list[subprocess.Popen[bytes]], namespace: str
) -> Collected:
    done = Collected()
    time.sleep(3)  # let the workers connect
    settings = Settings(
        database_url=url, secret_key="bench", redis_url=REDIS_URL, job_namespace=namespace
    )
    app = bootstrap(settings)
    jobs = billing_jobs(app)
    counting = CountingJobs(jobs)
    marks = sorted({max(1, n // 10), max(1, n // 2), n})
    first, workers_before, database_before = 0, [0.0], {}
    start = time.perf_counter()

    def dispatch() -> None:
        sent = dispatch_collection(app.uow(), app.gateway_for, app.clock, org, counting)
        done.dispatch_seconds = time.perf_counter() - start
        assert sent.attempted == n, sent

    sender = threading.Thread(target=dispatch)
    sender.start()
    step = max(1, n // 20)
    shown = step
    while True:  # jobs done = sent less those waiting or held by a worker
        finished = counting.finished(jobs.pending_collections())
        while marks and finished >= marks[0]:
            if not done.rss_kib:  # CPU from here on: the steady state, not start-up
                first, workers_before = finished, [cpu_seconds(p.pid) for p in procs]
                database_before = backends_cpu(url)
            done.rss_kib[marks.pop(0)] = [peak_rss_kib(p.pid) for p in procs]
        if finished >= shown:  # progress on stderr, for a long run
            took = time.perf_counter() - start
            rss = " / ".join(f"{peak_rss_kib(p.pid) / 1024:.0f}" for p in procs)
            print(
                f"{finished:,} done in {took:.0f} s ({finished / took:,.0f}/s), peak RSS {rss} MiB",
                file=sys.stderr,
                flush=True,
            )
            shown = (finished // step + 1) * step
        if not marks and not sender.is_alive():
            break
        time.sleep(0.05)
    done.seconds = time.perf_counter() - start
    sender.join()
    after = max(1, n - first)  # per job, over the jobs done after the first mark
    done.workers_cpu = (sum(cpu_seconds(p.pid) for p in procs) - sum(workers_before)) / after
    done.database_cpu = cpu_since(database_before, backends_cpu(url)) / after
    jobs.broker.flush_all()
    jobs.broker.close()
    app.dispose()
    return done


def check(url: str, n: int) -> str:
    """Every invoice paid by exactly one payment; the gateway captured exactly n charges."""
    with psycopg.connect(raw_url(url)) as connection:
        paid, payments, once, captured = connection.execute(
            "SELECT (SELECT count(*) FROM invoices WHERE status = 'paid' AND amount_due = 0),"
            " (SELECT count(*) FROM payments WHERE status = 'succeeded'),"
            " (SELECT count(DISTINCT invoice_id) FROM payments),"
            " (SELECT count(*) FROM sandbox_charges WHERE outcome = 'succeeded')"
        ).fetchone() or (0, 0, 0, 0)
    ok = paid == payments == once == captured == n
    return (
        f"{paid:,} invoices paid, {payments:,} payments succeeded for {once:,} invoices, "
        f"{captured:,} charges captured: {'each once' if ok else 'NOT each once'}"
    )


def baseline(url: str, outbox_after: int) -> tuple[float, int]:
    """The rows the run wrote, written again by raw psycopg with executemany into empty copies
    of their tables, and the invoices' changes applied again to a copy of the invoices, one
    transaction per BATCH invoices. Returns (seconds, rows)."""
    inserted = {
        "payments": "SELECT * FROM payments",
        "ledger_transactions": "SELECT * FROM ledger_transactions WHERE kind = 'payment'",
        "ledger_entries": "SELECT e.* FROM ledger_entries e JOIN ledger_transactions x"
        " ON x.id = e.transaction_id WHERE x.kind = 'payment'",
        "sandbox_charges": "SELECT * FROM sandbox_charges WHERE kind = 'charge'",
        "outbox_events": f"SELECT * FROM outbox_events WHERE seq > {outbox_after}",
    }
    with psycopg.connect(raw_url(url)) as connection:
        rows: dict[str, tuple[list[str], list[Row]]] = {}
        for table, query in inserted.items():
            cursor = connection.execute(query)
            rows[table] = ([d.name for d in cursor.description or ()], cursor.fetchall())
            connection.execute(f'CREATE TABLE "bench_{table}" (LIKE "{table}" INCLUDING ALL)')
        changes = connection.execute(
            "SELECT status, amount_due, paid_at, id FROM invoices WHERE status = 'paid'"
        ).fetchall()
        connection.execute('CREATE TABLE "bench_invoices" AS SELECT * FROM invoices')
        connection.execute('ALTER TABLE "bench_invoices" ADD PRIMARY KEY (id)')
        connection.execute("UPDATE bench_invoices SET status = 'open', amount_due = total")
        connection.commit()
        total = sum(len(r) for _n, r in rows.values()) + len(changes)
        chunks = max(1, len(changes) // BATCH)
        start = time.perf_counter()
        for k in range(chunks):
            with connection.transaction(), connection.cursor() as cursor:
                for table, (names, data) in rows.items():
                    cols = ", ".join(f'"{c}"' for c in names)
                    marks = ", ".join(["%s"] * len(names))
                    cursor.executemany(
                        f'INSERT INTO "bench_{table}" ({cols}) VALUES ({marks})',
                        data[k::chunks],
                    )
                cursor.executemany(
                    "UPDATE bench_invoices SET status = %s, amount_due = %s, paid_at = %s"
                    " WHERE id = %s",
                    changes[k::chunks],
                )
        return time.perf_counter() - start, total


def outbox_seq(url: str) -> int:
    with psycopg.connect(raw_url(url)) as connection:
        row = connection.execute("SELECT coalesce(max(seq), 0) FROM outbox_events").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="per worker")
    parser.add_argument("--database", default="plansmith_bench_collection", help="made anew")
    parser.add_argument("--in-process", type=int, metavar="N", help="collect N here instead")
    parser.add_argument("--profile", metavar="FILE", help="in-process, under cProfile")
    args = parser.parse_args()
    n = args.invoices if args.in_process is None else args.in_process
    url = fresh_database(args.database)
    tpl = template(url, datetime.now(UTC))
    setup = time.perf_counter()
    clone(url, tpl, n)
    print(f"setup: {n:,} due invoices in {time.perf_counter() - setup:.1f} s", flush=True)
    if args.in_process is not None:
        in_process(url, tpl.organization_id, n, args.profile)
        return
    redis.Redis.from_url(REDIS_URL).ping()
    outbox_after = outbox_seq(url)
    done = collected_by_workers(url, tpl.organization_id, n, args.workers, args.threads)
    checked = check(url, n)
    raw, rows = baseline(url, outbox_after)
    rate = n / done.seconds
    print()
    head = (
        "invoices",
        "workers",
        "seconds",
        "payments/s",
        *(f"peak RSS at {k:,} (MiB)" for k in sorted(done.rss_kib)),
        f"raw executemany, same {rows:,} rows (s)",
        "ratio to raw",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    rss = [" / ".join(f"{r / 1024:.0f}" for r in done.rss_kib[k]) for k in sorted(done.rss_kib)]
    print(
        f"| {n:,} | {args.workers} x {args.threads} | {done.seconds:.1f} | {rate:,.0f} | "
        f"{' | '.join(rss)} | {raw:.1f} | {done.seconds / raw:.1f}x |"
    )
    print(f"\n{checked}")
    walked = done.dispatch_seconds
    print(f"the dispatch (walk the {n:,} invoices and send their jobs) took {walked:.1f} s of it")
    print(
        f"CPU per payment after the first 10 %: workers {1000 * done.workers_cpu:.1f} ms, "
        f"the database's server processes {1000 * done.database_cpu:.1f} ms "
        "(less noisy than the rate on a busy machine)"
    )


def in_process(url: str, org: str, n: int, profile_into: str | None) -> None:
    """The run in this process, each invoice collected in turn (no job system)."""
    app = bootstrap(Settings(database_url=url, secret_key="bench"))
    collect_for_batches()  # as a worker does
    with app.engine.connect():  # open the run's connection, so its process is counted
        database_before = backends_cpu(url)
    profile = cProfile.Profile(time.process_time) if profile_into else None
    start, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    done = run_collection(app.uow(), app.gateway_for, app.clock, org)
    if profile is not None:
        profile.disable()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    database_cpu = cpu_since(database_before, backends_cpu(url))
    app.dispose()
    assert done.succeeded == n, done
    print(check(url, n))
    how = "profiled" if profile is not None else "not profiled"
    print(f"in one process, {how}: {n / elapsed:,.0f} payments/s ({elapsed:.1f} s)")
    print(
        f"CPU per 1,000 payments: this process {1000 * cpu / n:.2f} s, "
        f"the database's server processes {1000 * database_cpu / n:.2f} s"
    )
    if profile is not None and profile_into is not None:
        profile.dump_stats(profile_into)
        pstats.Stats(profile_into).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
