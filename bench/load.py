"""Benchmark: a sustained mixed load on plansmith as it runs in production, against a raw app
answering the same requests, in one run on one machine; then the ledger's invariants.

    .venv/bin/python bench/load.py [--duration 600] [--accounts 2000] [--concurrency 32]
        [--rate 0] [--raw-duration 60] [--workers 2] [--job-workers 1] [--billing-every 10]
        [--renewals-every 20] [--events-per-batch 50] [--keep]

1. A fresh PostgreSQL database (``plansmith_bench_load``, dropped at the end unless ``--keep``):
   the demo catalog plus a metered family (bench/load_mix.py), N accounts subscribed in turn to
   a per-seat chat plan, a metered API plan, a mailbox plan and a larger metered API plan,
   every other one with a sandbox card and a portal session, all billed once (bench/api.py's
   ``populate``). Not measured.
2. The documented production set-up (docs/operations.md): ``plansmith serve --workers W`` on
   PostgreSQL with Redis, its renewal timer on (each round ends with a collection run sent to
   the workers), and ``plansmith worker`` processes; invoices finalize with no grace
   (PLANSMITH_INVOICE_GRACE_MINUTES=0) so the background billing runs go all the way to a
   payment within the run.
3. The mix (load_mix.WEIGHTS) for ``--duration`` seconds from bench/mixed_client.py: a fixed
   number of connections in one process, closed loop by default (``--rate`` R paces it open
   loop, timed from when each request was due), with ``POST /v1/billing_runs`` every
   ``--billing-every`` seconds beside it. Then the same mix for ``--raw-duration`` seconds
   against bench/load_raw.py's raw app: uvicorn with the same workers and protocol on the same
   database, one trivial indexed read or write per request.
4. The table: per kind count, req/s, p50/p95/p99, errors; the totals, the raw app's, the ratio;
   the CPU of the load generator, the servers and PostgreSQL. Then the invariants: the ledger's
   (tests/integration/ledger_invariants.py), every invoice's total is its lines' sum, no
   subscription has two invoices for one period. Exit status 1 on an error or a violation.

Only 127.0.0.1 is used. Needs PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL) and
Redis on 127.0.0.1:6379 (PLANSMITH_BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass

import mixed_client
from api import populate
from bench_postgres import REDIS_URL, cpu_seconds, fresh_database
from load_checks import counts, described, drop_database, invariant_violations, sessions
from load_mix import MIX, WEIGHTS, Mix, prepare_catalog
from load_profile import per_kind
from load_raw import raw_tables
from loadgen import baseline_server, free_port, plansmith_server, plansmith_workers
from usage_ingest import Cpu, server_pids

DATABASE = "plansmith_bench_load"
TARGET_RPS, TARGET_P99_MS = 1000.0, 50.0  # issue 17's targets for the mix


def _uptime() -> str:
    with open("/proc/loadavg") as f:
        one, five, fifteen = f.read().split()[:3]
    return f"load average {one}, {five}, {fifteen} ({os.cpu_count()} cores)"


def _warm(port: int, mix: Mix) -> None:
    """Each kind five times on one connection, one after the other: routes imported, pools
    and caches filled before the clock starts; an answer other than 2xx stops the bench."""
    rng = random.Random(1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for call in [mix.call(kind, rng) for kind in WEIGHTS for _ in range(5)] + [mix.billing_run()]:
        connection.request(call.method, call.path, call.body, call.headers)
        answer = connection.getresponse()
        body = answer.read()
        if not 200 <= answer.status < 300:
            sys.exit(
                f"{call.kind}: {call.method} {call.path} answered {answer.status}: {body[:500]!r}"
            )
    connection.close()


@dataclass
class Phase:
    outcome: mixed_client.Outcome
    cpu: Cpu  # the server's processes (its supervisor and workers) and PostgreSQL's
    load: str  # the load average when the mix started
    others_s: dict[str, float]  # CPU seconds of other processes named (e.g. the job workers)
    sessions: int  # PostgreSQL sessions opened during the phase


def _phase(
    name: str,
    url: str,
    port: int,
    mix: Mix,
    args: argparse.Namespace,
    seconds: float,
    others: dict[str, list[int]],
) -> Phase:
    _warm(port, mix)
    load = _uptime()
    print(f"{name}: {seconds:.0f} s of the mix from {load}", flush=True)
    others = {"the supervising serve process": server_pids(port)[:1], **others}
    before = {what: sum(cpu_seconds(p) for p in pids) for what, pids in others.items()}
    opened = sessions(url)
    with Cpu(url, port) as cpu:
        outcome = mixed_client.run(
            port,
            mix.pick,
            concurrency=args.concurrency,
            seconds=seconds,
            rate=args.rate,
            periodic=[(args.billing_every, mix.billing_run())],
        )
    used = {what: sum(cpu_seconds(p) for p in pids) - before[what] for what, pids in others.items()}
    return Phase(outcome, cpu, load, used, sessions(url) - opened)


def _row(name: str, stats: mixed_client.KindStats, seconds: float) -> str:
    n = len(stats.times_ms)
    return (
        f"| {name} | {n:,} | {n / seconds:,.1f} | {stats.percentile(50):.1f} | "
        f"{stats.percentile(95):.1f} | {stats.percentile(99):.1f} | {stats.errors} |"
    )


def _mixed(outcome: mixed_client.Outcome) -> mixed_client.KindStats:
    """Every request of the mix as one kind (the background billing runs left out)."""
    every = mixed_client.KindStats()
    for kind in WEIGHTS:
        stats = outcome.kinds.get(kind, mixed_client.KindStats())
        every.times_ms += stats.times_ms
        every.errors += stats.errors
    return every


def report(
    args: argparse.Namespace,
    ours: Phase,
    raw: Phase,
) -> bool:
    """The tables; whether the targets were met (the caller exits on errors anyway)."""
    o, o_load, r, r_load = ours.outcome, ours.load, raw.outcome, raw.load
    pacing = f"open loop at {args.rate:,.0f} req/s" if args.rate else "closed loop"
    print(
        f"\n### Mixed load: {args.accounts:,} accounts, {args.concurrency} connections, "
        f"{pacing}; plansmith serve --workers {args.workers} + {args.job_workers} "
        f"plansmith worker(s) on PostgreSQL and Redis\n"
    )
    print(f"plansmith: {o.seconds:.0f} s from {o_load}")
    print(f"raw app: {r.seconds:.0f} s from {r_load}\n")
    print("| plansmith | count | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in [*WEIGHTS, *sorted(set(o.kinds) - set(WEIGHTS))]:
        print(_row(kind, o.kinds.get(kind, mixed_client.KindStats()), o.seconds))
    mine, theirs = _mixed(o), _mixed(r)
    print(_row("**the mix**", mine, o.seconds))
    print("\n| raw app | count | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in WEIGHTS:
        print(_row(kind, r.kinds.get(kind, mixed_client.KindStats()), r.seconds))
    print(_row("**the mix**", theirs, r.seconds))
    ours_rps, raw_rps = len(mine.times_ms) / o.seconds, len(theirs.times_ms) / r.seconds
    print(
        f"\nthe mix: plansmith {ours_rps:,.1f} req/s, raw app {raw_rps:,.1f} req/s, "
        f"ratio {ours_rps / raw_rps:.3f}"
        + (
            " (open loop: both were sent the same requests; compare the latencies)"
            if args.rate
            else ""
        )
    )
    for name, phase in (("plansmith", ours), ("raw app", raw)):
        out, cpu = phase.outcome, phase.cpu
        n = max(1, sum(len(s.times_ms) for s in out.kinds.values()))
        used = [("load generator", out.cpu_s), ("server processes", cpu.server_s)]
        used += [(f"of which {what}", s) for what, s in phase.others_s.items()]
        used.append(("PostgreSQL's backends alive at the end (a lower bound)", cpu.database_s))
        parts = [f"{w} {100 * s / out.seconds:.0f} % ({1000 * s / n:.2f})" for w, s in used]
        print(f"CPU, {name} phase (share of one core; ms per request): " + ", ".join(parts))
        print(f"  PostgreSQL sessions opened meanwhile (3 of them the bench's): {phase.sessions:,}")
    met = ours_rps >= TARGET_RPS and mine.percentile(99) < TARGET_P99_MS and mine.errors == 0
    print(
        f"target ≥ {TARGET_RPS:,.0f} req/s with p99 < {TARGET_P99_MS:.0f} ms and 0 errors: "
        f"{'met' if met else 'NOT met'} ({ours_rps:,.0f} req/s, p99 {mine.percentile(99):.1f} ms, "
        f"{mine.errors} errors)"
    )
    for kind, stats in o.kinds.items():
        for example in stats.examples:
            print(f"  error, {kind}: {example}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of the mix")
    parser.add_argument("--raw-duration", type=float, help="seconds on the raw app (60 at most)")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32, help="connections")
    parser.add_argument("--rate", type=float, default=0.0, help="req/s, open loop (0: closed)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="per server")
    parser.add_argument("--job-workers", type=int, default=1, help="plansmith worker processes")
    parser.add_argument("--billing-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--renewals-every", type=int, default=20, help="seconds")
    parser.add_argument("--events-per-batch", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--statements", action="store_true", help="first each kind's statements and ms in process"
    )
    args = parser.parse_args()
    raw_seconds = args.raw_duration or min(args.duration, 60.0)
    print(f"start: {_uptime()}", flush=True)
    url = fresh_database(DATABASE)
    try:
        ok = _bench(url, args, raw_seconds)
    finally:
        if not args.keep:
            drop_database(DATABASE)
    sys.exit(0 if ok else 1)


def _bench(url: str, args: argparse.Namespace, raw_seconds: float) -> bool:
    started = time.perf_counter()
    fixture = populate(
        url, args.accounts, MIX, prepare=prepare_catalog, sessions_every=2, cards_every=2
    )
    raw_tables(url)
    print(f"{args.accounts:,} accounts set up in {time.perf_counter() - started:.0f} s", flush=True)
    mix = Mix(fixture, args.events_per_batch, "p", args.concurrency)
    if args.statements:
        per_kind(url, mix)
    before = counts(url)
    env = {
        "PLANSMITH_REDIS_URL": REDIS_URL,
        "PLANSMITH_JOB_NAMESPACE": f"plansmith-bench-{uuid.uuid4().hex[:8]}",
        "PLANSMITH_INVOICE_GRACE_MINUTES": "0",
    }
    port = free_port()
    with (
        plansmith_server(url, port, args.workers, renewals_every=args.renewals_every, env=env),
        plansmith_workers(url, args.job_workers, env) as job_workers,
    ):
        job_pids = [p.pid for p in job_workers]
        ours = _phase(
            "plansmith", url, port, mix, args, args.duration, {"plansmith worker": job_pids}
        )
    done = described(before, counts(url))
    port = free_port()
    with baseline_server(url, port, args.workers, "load_raw:raw_app"):
        raw = _phase(
            "raw app",
            url,
            port,
            Mix(fixture, args.events_per_batch, "r", args.concurrency),
            args,
            raw_seconds,
            {},
        )
    report(args, ours, raw)
    print(f"\nin the background, during the plansmith phase: {done}")
    found = invariant_violations(url)
    errors = sum(s.errors for p in (ours, raw) for s in p.outcome.kinds.values())
    print("invariants: " + ("all hold" if not found else f"{len(found)} VIOLATED"))
    for line in found[:20]:
        print(f"  {line}")
    return not found and errors == 0


if __name__ == "__main__":
    main()
