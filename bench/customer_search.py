"""Benchmark: the console's customer search at 100, 10,000 (and 100,000) accounts, on
PostgreSQL and SQLite, before and after its index (migration 0011).

    .venv/bin/python bench/customer_search.py [--sizes 100 10000 100000]
        [--databases postgresql sqlite]

For each database and size, all in one run on one machine:
1. Two fresh databases with the same accounts, one at the head revision and one at the revision
   before 0011 (no index): one organization gets N accounts (another gets 100), written in bulk
   (not measured); PostgreSQL is then vacuumed and analyzed, as autovacuum does.
2. Each kind of search runs through the use case the console calls (``list_accounts``, a page
   of 25): one customer (a rare text), a surname (1 in 50 accounts), a text found nowhere, a
   text every account holds, and two letters (shorter than a trigram, so never indexed). The
   database of before and the indexed one take turns call by call, so that the load of a
   shared machine weighs on both alike; medians. On SQLite the repository runs its query of
   before (the page filtered in order) against the database of before.
3. Paired baselines in the same run: the account read by its id through the same use-case path
   (``get_account``) and by the bare driver (``SELECT ... WHERE id = ?``, no SQLAlchemy).

PostgreSQL on 127.0.0.1:5432 (PLANSMITH_BENCH_DATABASE_URL overrides); SQLite in a temp dir.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.accounts import search as search_module
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import upgrade
from plansmith.application.accounts import accounts as uc
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap

SERVER = os.environ.get(
    "PLANSMITH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "plansmith_bench_search"
PAGE = 25  # the console's page
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SURNAMES = [
    f"{s}{v}" for s in ("Meyer", "Okafor", "Tanaka", "Silva", "Novak") for v in "abcdefghij"
]
DOMAINS = ("example.com", "mail.example", "corp.example", "shop.example")
BATCH = 5000
BEFORE = "0010_line_details"


@dataclass(frozen=True)
class Row:
    database: str
    accounts: int
    kind: str
    found: int
    after_ms: float
    before_ms: float
    get_ms: float
    raw_ms: float


def searches(n: int) -> dict[str, str]:
    """Kind of search -> text; what each finds is printed (the page holds up to 25)."""
    return {
        "one customer": f"{n // 2:06d}",
        "a surname": SURNAMES[7].lower(),
        "nowhere": "zqxjv",
        "everyone": "customer",
        "two letters": "zq",
    }


def fresh(database: str, workdir: Path, name: str) -> str:
    if database == "sqlite":
        path = workdir / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = make_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)


def load(engine: Engine, organization_id: str, n: int, tag: str) -> list[str]:
    ids = []
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(n, start + BATCH)):
            surname = SURNAMES[i % len(SURNAMES)]
            at = NOW + timedelta(seconds=i)
            ids.append(f"acct_{tag}{i:08d}")
            rows.append(
                {
                    "id": ids[-1],
                    "organization_id": organization_id,
                    "name": f"Customer {i:06d} {surname}",
                    "email": f"billing.{surname.lower()}{i}@{DOMAINS[i % len(DOMAINS)]}",
                    "currency": "EUR",
                    "time_zone": "UTC",
                    "locale": "en_US",
                    "tax_id": None,
                    "external_id": f"CRM-{tag}{i:06d}",
                    "default_invoice_address_id": None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        with engine.begin() as connection:
            connection.execute(insert(t.accounts), rows)
    return ids


@dataclass
class Side:
    """One database with the same accounts: at the head revision, or at the one before 0011."""

    app: Plansmith
    organization_id: str
    middle: str

    @classmethod
    def make(cls, database: str, workdir: Path, n: int, revision: str) -> Side:
        name = DATABASE if revision == "head" else f"{DATABASE}_before"
        url = fresh(database, workdir, name)
        engine = make_engine(url)
        upgrade(engine, revision)
        engine.dispose()
        clock = TestClock(NOW)
        app = bootstrap(Settings(database_url=url, secret_key="bench"), clock)
        org = create_organization(app.uow(), clock, "Bench Inc").id
        other = create_organization(app.uow(), clock, "Elsewhere").id
        ids = load(app.engine, org, n, "a")
        load(app.engine, other, 100, "b")
        if database == "postgresql":  # what autovacuum does after a bulk load
            with app.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("VACUUM ANALYZE accounts")
        return cls(app, org, ids[n // 2])

    def search(self, text_: str) -> Callable[[], object]:
        return lambda: uc.list_accounts(
            self.app.uow(), self.organization_id, search=text_, limit=PAGE
        )

    def get(self) -> Callable[[], object]:
        return lambda: uc.get_account(self.app.uow(), self.organization_id, self.middle)


@contextmanager
def raw_lookup(engine: Engine, account_id: str) -> Iterator[Callable[[], object]]:
    """The floor: one row by primary key through the bare driver, no SQLAlchemy."""
    pooled = engine.raw_connection()
    connection: Any = pooled.driver_connection
    postgresql = engine.dialect.name == "postgresql"
    sql = f"SELECT * FROM accounts WHERE id = {'%s' if postgresql else '?'}"

    def lookup() -> object:
        cursor = connection.cursor()
        cursor.execute(sql, (account_id,))
        row = cursor.fetchone()
        cursor.close()
        if postgresql:
            connection.rollback()  # end the read, as a request would
        return row

    try:
        yield lookup
    finally:
        pooled.close()


def paired(calls: dict[str, Callable[[], object]], budget: float, least: int) -> dict[str, float]:
    """Median ms of each call, the calls taking turns round by round, so that whatever else
    runs on the machine weighs on each alike."""
    for call in calls.values():
        call()  # warm: statement caches, pages
    times: dict[str, list[float]] = {name: [] for name in calls}
    spent = 0.0
    rounds = 0
    while rounds < least or (spent < budget and rounds < 300):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            took = time.perf_counter() - start
            times[name].append(took)
            spent += took
        rounds += 1
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


@contextmanager
def before_on(database: str, before: Side) -> Iterator[None]:
    """On SQLite the repository runs its query of before 0011 against the database of before
    (no candidates: the page filtered in order); on PostgreSQL the query never changed."""
    if database != "sqlite":
        yield
        return
    few = search_module._few

    def few_unless_before(session: Session, organization_id: str, needle: str) -> bool:
        return session.get_bind() is not before.app.engine and few(session, organization_id, needle)

    with mock.patch.object(search_module, "_few", few_unless_before):
        yield


def measure(database: str, n: int, workdir: Path, budget: float, least: int) -> list[Row]:
    after = Side.make(database, workdir, n, "head")
    before = Side.make(database, workdir, n, BEFORE)
    kinds = searches(n)
    found = {
        k: len(uc.list_accounts(after.app.uow(), after.organization_id, search=s, limit=PAGE).items)
        for k, s in kinds.items()
    }
    with raw_lookup(after.app.engine, after.middle) as raw, before_on(database, before):
        base = paired({"get": after.get(), "raw": raw}, budget, least)
        ms = {
            k: paired({"after": after.search(s), "before": before.search(s)}, budget, least)
            for k, s in kinds.items()
        }
    after.app.dispose()
    before.app.dispose()
    return [
        Row(database, n, k, found[k], ms[k]["after"], ms[k]["before"], base["get"], base["raw"])
        for k in kinds
    ]


def report(rows: list[Row]) -> None:
    print(
        "| database | accounts | search | on page | before ms | indexed ms | get by id ms"
        " | raw pk ms | indexed / get by id |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.database} | {r.accounts:,} | {r.kind} | {r.found} | {r.before_ms:.2f}"
            f" | {r.after_ms:.2f} | {r.get_ms:.2f} | {r.raw_ms:.3f} | {r.after_ms / r.get_ms:.1f} |"
        )
    print()
    print("Growth with the number of accounts (time at N / time at the smallest size):")
    print("| database | search | accounts | before | indexed |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        first = next(x for x in rows if (x.database, x.kind) == (r.database, r.kind))
        if r is first:
            continue
        print(
            f"| {r.database} | {r.kind} | {first.accounts:,} → {r.accounts:,}"
            f" | {r.before_ms / first.before_ms:.1f}× | {r.after_ms / first.after_ms:.1f}× |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per comparison")
    parser.add_argument("--rounds", type=int, default=11, help="fewest rounds per comparison")
    args = parser.parse_args()
    rows: list[Row] = []
    print(f"# load average at the start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as workdir:
        for database in args.databases:
            for n in args.sizes:
                started = time.perf_counter()
                rows += measure(database, n, Path(workdir), args.seconds, args.rounds)
                print(f"# {database} {n:,}: {time.perf_counter() - started:.0f} s", flush=True)
    print(f"# load average at the end: {os.getloadavg()[0]:.1f}")
    report(rows)


if __name__ == "__main__":
    main()
