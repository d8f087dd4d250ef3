"""Benchmark: the API and the portal served for real, against a minimal app, driven by wrk.

    .venv/bin/python bench/api.py [--database both|postgresql|sqlite] [--workers 2]
        [--accounts 2000] [--concurrency 10,50] [--seconds 4] [--warmup 1] [--rounds 1]

What it does, for each database, all in one run on one machine:
1. A fresh database (PostgreSQL ``plansmith_bench_api``, dropped and created again; SQLite a
   temporary file) with the demo catalog (as ``plansmith demo`` loads it) and N accounts, each
   subscribed to one of four plans through the use cases and billed once, and a portal session
   for each. Not measured.
2. Each request kind is made ten times in this process (Starlette's test client), counting
   its SQL statements and timing it; an answer other than 200 stops the bench.
3. ``plansmith serve --workers W`` and the baseline, a minimal FastAPI app whose one route runs
   ``SELECT 1`` through SQLAlchemy on the same database and driver, served by uvicorn with the
   same workers and log level (and TCP_NODELAY, see loadgen.NoDelayH11), both as subprocesses
   on 127.0.0.1. wrk (scripts/bench-tools.sh installs it) drives each kind for a few seconds at
   each concurrency, its paths rotating over the accounts, after a warm-up; the baseline is
   measured between the kinds, alternating, and each kind's req/s is divided by the median of
   the baseline's runs at that concurrency. The table marks issue 12's targets.

Needs wrk, and PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL overrides).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadgen import Request, Sample, baseline_server, drive, free_port, lua_script, serving
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from plansmith.bootstrap import Plansmith

SERVER = os.environ.get(
    "PLANSMITH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "plansmith_bench_api"
SECRET = "bench"  # signs this run's throwaway sessions
PLANSMITH = Path(sys.executable).with_name("plansmith")
# Per account, in turn: currency, plan, seats (None: the plan's minimum) and the plan a change
# preview asks for (the next rank, which the demo families apply now).
MixEntry = tuple[str, str, int | None, str]
MIX: list[MixEntry] = [
    ("USD", "chat-team", 3, "chat-business"),
    ("EUR", "contact-center-1", 5, "contact-center-2"),
    ("JPY", "mailbox-bronze", None, "mailbox-silver"),
    ("USD", "support-standard", None, "support-premium"),
]
READ_RATIO, PAGE_RATIO, P99_MS, P99_AT = 0.6, 0.35, 50.0, 10  # issue 12's targets


# -- data ----------------------------------------------------------------------------------


@dataclass
class Fixture:
    url: str
    api_key: str = ""
    publishable_key: str = ""
    accounts: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    next_plans: list[str] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)  # account id -> its portal session
    organization_id: str = ""


def fresh_postgres() -> str:
    admin = create_engine(_psycopg(SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return _psycopg(make_url(SERVER).set(database=DATABASE).render_as_string(False))


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(False)


# Run in the set-up process after the demo is loaded (the organization's id given), before
# any account subscribes: what a benchmark adds to the demo catalog (meters, plans).
Prepare = Callable[["Plansmith", str], None]


def populate(
    url: str,
    n: int,
    mix: Sequence[MixEntry] = MIX,
    *,
    prepare: Prepare | None = None,
    sessions_every: int = 1,
    cards_every: int = 0,
) -> Fixture:
    """The demo organization and catalog, then n subscribed accounts (made by a process per
    core), account i on ``mix[i % len(mix)]``, billed once, and a portal session for every
    ``sessions_every``-th account, all through the use cases. ``cards_every``: every so many
    accounts get a default sandbox card that succeeds (0: none)."""
    from plansmith.adapters.db.engine import make_engine
    from plansmith.adapters.db.migrate import upgrade
    from plansmith.application.billing.run import run_billing
    from plansmith.application.organizations.web_sessions import new_session
    from plansmith.bootstrap import Settings, bootstrap
    from plansmith.domain.organizations.sessions import SessionKind
    from plansmith.entrypoints.cli import demo

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(database_url=url, secret_key=SECRET)
    app = bootstrap(settings)
    loaded = demo.load(app)
    org = loaded.organization.id
    if prepare is not None:
        prepare(app, org)
    app.dispose()  # no pooled connection goes across the fork
    jobs = min(n, os.cpu_count() or 1)
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(
            _subscribed,
            [url] * jobs,
            [org] * jobs,
            [range(k, n, jobs) for k in range(jobs)],
            [list(mix)] * jobs,
            [cards_every] * jobs,
        )
        made = sorted(row for part in parts for row in part)
    fixture = Fixture(url, loaded.api_key, loaded.publishable_key, organization_id=org)
    fixture.accounts = [account for _i, account, _sub in made]
    fixture.subscriptions = [sub for _i, _account, sub in made]
    fixture.next_plans = [mix[i % len(mix)][3] for i, _account, _sub in made]
    app = bootstrap(settings)
    with app.uow() as uow:  # as a portal link would make them, in one transaction
        for account in fixture.accounts[::sessions_every]:
            issued = new_session(app.clock, SessionKind.PORTAL, org, 4 * 3600, account_id=account)
            uow.web_sessions.add(issued.session)
            fixture.cookies[account] = issued.secret
        uow.commit()
    run_billing(app.uow(), app.clock, org, grace=timedelta(0))  # one past invoice each
    # The setup's events relayed now, without their e-mails: left in the outbox, they had the
    # serve process render n invoice PDFs for the notices while the requests were measured
    # (a core of this machine for minutes at 2,000 accounts).
    app.relay().run_until_idle()
    app.dispose()
    return fixture


def _subscribed(
    url: str, org: str, indices: range, mix: list[MixEntry], cards_every: int
) -> list[tuple[int, str, str]]:
    """(index, account id, subscription id) for each account this process opens."""
    from plansmith.application.accounts.accounts import AccountInput, open_account
    from plansmith.application.payments.methods import add_card
    from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
    from plansmith.bootstrap import Settings, bootstrap

    app = bootstrap(Settings(database_url=url, secret_key=SECRET))
    made = []
    for i in indices:
        currency, plan, seats, _upgrade = mix[i % len(mix)]
        data = AccountInput(f"Bench customer {i}", f"c{i}@bench.example", currency)
        account = open_account(app.uow(), app.clock, org, data).id
        if cards_every and i % cards_every == 0:
            gateway = app.gateway_for(org)
            add_card(app.uow(), gateway, app.clock, org, account, source="tok_sandbox_success")
        sub = SubscribeInput(account, plan, quantity=seats, trial=False)
        made.append((i, account, subscribe(app.uow(), app.clock, org, sub).view.subscription.id))
    app.dispose()
    return made


# -- request kinds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    target: float | None  # the least ratio to the baseline's req/s; None: the baseline
    requests: list[Request]


def kinds(f: Fixture) -> list[Kind]:
    bearer = {"Authorization": f"Bearer {f.api_key}"}
    posted = {**bearer, "Content-Type": "application/json"}
    return [
        Kind(
            "GET account",
            READ_RATIO,
            [Request("GET", f"/v1/accounts/{a}", bearer) for a in f.accounts],
        ),
        Kind(
            "GET subscription",
            READ_RATIO,
            [Request("GET", f"/v1/subscriptions/{s}", bearer) for s in f.subscriptions],
        ),
        Kind(
            "GET upcoming invoice",
            PAGE_RATIO,
            [Request("GET", f"/v1/accounts/{a}/upcoming_invoices", bearer) for a in f.accounts],
        ),
        Kind(
            "POST change preview",
            PAGE_RATIO,
            [
                Request(
                    "POST",
                    f"/v1/subscriptions/{s}/changes/preview",
                    posted,
                    json.dumps({"plan": plan}),
                )
                for s, plan in zip(f.subscriptions, f.next_plans, strict=True)
            ],
        ),
        Kind(
            "GET /v1/pricing (pk)",
            PAGE_RATIO,
            [Request("GET", f"/v1/pricing?key={f.publishable_key}", {})],
        ),
        Kind("portal Plans", PAGE_RATIO, _portal(f, "/portal/plans")),
        Kind("portal Invoices", PAGE_RATIO, _portal(f, "/portal/invoices")),
    ]


def _portal(f: Fixture, path: str) -> list[Request]:
    return [Request("GET", path, {"Cookie": f"plansmith_portal={c}"}) for c in f.cookies.values()]


BASELINE = Kind("baseline SELECT 1", None, [Request("GET", "/select1", {})])


def statements(url: str, all_kinds: list[Kind]) -> dict[str, tuple[int, float]]:
    """Per kind: the median SQL statements of a request, and its median time in this process
    (ms) through Starlette's test client, over ten requests."""
    with warnings.catch_warnings():  # starlette's note on httpx: nothing to do here
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from plansmith.bootstrap import Settings, bootstrap
    from plansmith.entrypoints.web import create_app

    app = bootstrap(Settings(database_url=url, secret_key=SECRET))
    counted = [0]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is no query
            counted[0] += 1

    for engine in app.engines:  # SQLite's GETs read on the reader engine
        event.listen(engine, "before_cursor_execute", count)
    found: dict[str, tuple[int, float]] = {}
    with TestClient(create_app(app)) as client:
        for kind in all_kinds:
            times, counts = [], []
            for k in range(11):  # the first is not counted: the process warms up
                r = kind.requests[k % len(kind.requests)]
                counted[0] = 0
                start = time.perf_counter()
                answer = client.request(r.method, r.path, headers=r.headers, content=r.body)
                times.append((time.perf_counter() - start) * 1000)
                counts.append(counted[0])
                if answer.status_code != 200:
                    sys.exit(f"{kind.name}: {r.method} {r.path} answered {answer.status_code}")
            found[kind.name] = (int(statistics.median(counts[1:])), statistics.median(times[1:]))
    app.dispose()
    return found


def plansmith_server(url: str, port: int, workers: int) -> AbstractContextManager[None]:
    command = [str(PLANSMITH), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--renewals-every", "0"]
    if workers > 1:  # one process is what a `serve` without `--workers` runs
        command += ["--workers", str(workers)]
    return serving(command, {"DATABASE_URL": url, "PLANSMITH_SECRET_KEY": SECRET}, port)


# -- the run -------------------------------------------------------------------------------


@dataclass
class Results:
    samples: dict[tuple[str, int], list[Sample]] = field(default_factory=dict)
    ratios: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    load_cpu_s: float = 0.0
    load_wall_s: float = 0.0

    def add(self, name: str, c: int, sample: Sample) -> None:
        self.samples.setdefault((name, c), []).append(sample)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    ports: dict[str, int],
    scripts: dict[str, Path],
    all_kinds: list[Kind],
    args: argparse.Namespace,
) -> Results:
    """Each round, at each concurrency: the baseline, two kinds, the baseline, two kinds, ...
    the baseline; a kind's ratio is to the median of that round's baseline runs."""
    results = Results()

    def run(kind: Kind, c: int, seconds: int) -> Sample:
        port = ports["baseline" if kind.target is None else "plansmith"]
        cpu, start = _children_cpu(), time.perf_counter()
        sample = drive(port, scripts[kind.name], c, seconds)
        results.load_cpu_s += _children_cpu() - cpu
        results.load_wall_s += time.perf_counter() - start
        return sample

    for kind in [BASELINE, *all_kinds]:  # warm-up: imports, pools, caches, templates
        run(kind, args.concurrency[0], args.warmup)
    for r in range(args.rounds):
        for c in args.concurrency:
            order: list[Kind] = []
            for i, kind in enumerate(all_kinds):
                order += [BASELINE, kind] if i % 2 == 0 else [kind]
            base, got = [], {}
            for kind in [*order, BASELINE]:
                sample = run(kind, c, args.seconds)
                results.add(kind.name, c, sample)
                if kind.target is None:
                    base.append(sample.rps)
                else:
                    got[kind.name] = sample
            middle = statistics.median(base)
            for name, sample in got.items():
                results.ratios.setdefault((name, c), []).append(sample.rps / middle)
            print(f"  round {r + 1}, c={c}: baseline {middle:,.0f} req/s", flush=True)
    return results


def table(
    title: str,
    all_kinds: list[Kind],
    counts: dict[str, tuple[int, float]],
    results: Results,
    concurrency: list[int],
) -> None:
    print(f"\n### {title}\n")
    head = ["request", "c", "statements", "in-process ms", "req/s", "p50 ms", "p99 ms"]
    head += ["errors", "ratio to baseline", "targets"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 2) + "---|")
    for c in concurrency:
        base = results.samples[(BASELINE.name, c)]
        rps = sorted(s.rps for s in base)
        print(
            f"| {BASELINE.name} | {c} | 1 | | {statistics.median(rps):,.0f} "
            f"({rps[0]:,.0f} to {rps[-1]:,.0f}) | {_med(base, 'p50_ms'):.1f} | "
            f"{_med(base, 'p99_ms'):.1f} | {sum(s.errors for s in base)} | 1.00 | |"
        )
        for kind in all_kinds:
            samples = results.samples[(kind.name, c)]
            ratio = statistics.median(results.ratios[(kind.name, c)])
            p99, errors = _med(samples, "p99_ms"), sum(s.errors for s in samples)
            assert kind.target is not None
            marks = [f"ratio ≥ {kind.target} {_mark(ratio >= kind.target)}"]
            if c == P99_AT:
                marks.append(f"p99 < {P99_MS:.0f} {_mark(p99 < P99_MS)}")
            marks.append(f"0 errors {_mark(errors == 0)}")
            n, ms = counts[kind.name]
            print(
                f"| {kind.name} | {c} | {n} | {ms:.1f} | {_med(samples, 'rps'):,.0f} | "
                f"{_med(samples, 'p50_ms'):.1f} | {p99:.1f} | {errors} | {ratio:.2f} | "
                f"{', '.join(marks)} |"
            )
    share = 100 * results.load_cpu_s / max(results.load_wall_s, 1e-9)
    print(f"\nwrk used {share:.0f} % of one core while it ran (CPU time / wall time).")


def _med(samples: list[Sample], attr: str) -> float:
    return statistics.median(float(getattr(s, attr)) for s in samples)


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def bench(database: str, args: argparse.Namespace, workdir: Path) -> None:
    sqlite = f"sqlite:///{workdir / 'bench.sqlite3'}"
    url = fresh_postgres() if database == "postgresql" else sqlite
    start = time.perf_counter()
    fixture = populate(url, args.accounts)
    print(
        f"{database}: {args.accounts:,} accounts set up in {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    all_kinds = kinds(fixture)
    counts = statements(url, all_kinds)
    scripts: dict[str, Path] = {}
    for kind in [BASELINE, *all_kinds]:
        scripts[kind.name] = workdir / f"{len(scripts)}.lua"
        scripts[kind.name].write_text(lua_script(kind.requests))
    ports = {"plansmith": free_port(), "baseline": free_port()}
    load = os.getloadavg()[0]
    with (
        plansmith_server(url, ports["plansmith"], args.workers),
        baseline_server(url, ports["baseline"], args.workers),
    ):
        results = measure(ports, scripts, all_kinds, args)
    title = (
        f"{database}, {args.workers} worker(s) each, {args.accounts:,} accounts, "
        f"{args.seconds} s per run, {args.rounds} round(s); load average "
        f"{load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    table(title, all_kinds, counts, results, args.concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="server processes, each app")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument(
        "--concurrency", type=lambda v: [int(c) for c in v.split(",")], default=[10, 50]
    )
    parser.add_argument("--seconds", type=int, default=4, help="per kind and concurrency")
    parser.add_argument("--warmup", type=int, default=1, help="per kind, once per database")
    parser.add_argument("--rounds", type=int, default=1, help="the whole measurement again")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/bench-tools.sh")
    usage = subprocess.run(
        [PLANSMITH, "serve", "--help"], capture_output=True, text=True, check=False
    )
    if args.workers > 1 and "--workers" not in usage.stdout:
        sys.exit("this `plansmith serve` takes no --workers: run the bench with --workers 1")
    databases = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="plansmith-bench-") as workdir:
            bench(database, args, Path(workdir))


if __name__ == "__main__":
    main()
