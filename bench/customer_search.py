"""Benchmark: the console's customer search at 100, 10,000 (and 100,000) accounts, on
PostgreSQL and SQLite, before and after its index (migration 0011).

    .venv/bin/python bench/customer_search.py [--sizes 100 10000 100000]
        [--databases postgresql sqlite]

For each database and size, all in one run on one machine:
1. A fresh database at the head revision; one organization gets N accounts (another gets 100),
   written in bulk (not measured); PostgreSQL is then vacuumed and analyzed, as autovacuum does.
2. Each kind of search runs through the use case the console calls (``list_accounts``, a page
   of 25), repeated, median kept: one customer (a rare text), a surname (1 in 50 accounts),
   a text found nowhere, a text every account holds, and two letters (shorter than a trigram,
   so never indexed).
3. Paired baselines in the same run: the account read by its id through the same use-case path
   (``get_account``) and by the bare driver (``SELECT ... WHERE id = ?``, no SQLAlchemy).
4. "before": the database is taken down to 0010 (no index) and the same searches run again;
   on SQLite the repository is held to the query it ran before (the page filtered in order).

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

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.accounts import search as search_module
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import downgrade, upgrade
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


def fresh(database: str, workdir: Path) -> str:
    if database == "sqlite":
        path = workdir / "search.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = make_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return make_url(SERVER).set(database=DATABASE).render_as_string(hide_password=False)


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


def settle(engine: Engine) -> None:
    """What autovacuum does after a bulk load on PostgreSQL; nothing on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM ANALYZE accounts")


def median_ms(call: Callable[[], object], budget: float = 0.4, least: int = 5) -> float:
    call()  # warm: statement caches, pages
    times: list[float] = []
    spent = 0.0
    while len(times) < least or (spent < budget and len(times) < 300):
        start = time.perf_counter()
        call()
        took = time.perf_counter() - start
        times.append(took)
        spent += took
    return statistics.median(times) * 1000


def raw_lookup_ms(engine: Engine, account_id: str) -> float:
    """The floor: one row by primary key through the bare driver, no SQLAlchemy."""
    pooled = engine.raw_connection()
    connection: Any = pooled.driver_connection
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = f"SELECT * FROM accounts WHERE id = {marker}"

    def lookup() -> object:
        cursor = connection.cursor()
        cursor.execute(sql, (account_id,))
        row = cursor.fetchone()
        cursor.close()
        if engine.dialect.name == "postgresql":
            connection.rollback()  # end the read, as a request would
        return row

    try:
        return median_ms(lookup)
    finally:
        pooled.close()


@contextmanager
def as_before(database: str) -> Iterator[None]:
    """The repository's query of before 0011: no candidates, the page filtered in order (on
    PostgreSQL the query never changed; only its index is gone)."""
    if database != "sqlite":
        yield
        return
    with mock.patch.object(search_module, "_few", return_value=False):
        yield


def measure(database: str, n: int, workdir: Path) -> list[Row]:
    url = fresh(database, workdir)
    engine = make_engine(url)
    upgrade(engine)
    clock = TestClock(NOW)
    app: Plansmith = bootstrap(Settings(database_url=url, secret_key="bench"), clock)
    org = create_organization(app.uow(), clock, "Bench Inc").id
    other = create_organization(app.uow(), clock, "Elsewhere").id
    ids = load(engine, org, n, "a")
    load(engine, other, 100, "b")
    settle(engine)
    middle = ids[n // 2]

    def run(text_: str) -> Callable[[], object]:
        return lambda: uc.list_accounts(app.uow(), org, search=text_, limit=PAGE)

    get_ms = median_ms(lambda: uc.get_account(app.uow(), org, middle))
    raw_ms = raw_lookup_ms(engine, middle)
    kinds = searches(n)
    found = {
        k: len(uc.list_accounts(app.uow(), org, search=s, limit=PAGE).items)
        for k, s in kinds.items()
    }
    after = {k: median_ms(run(s)) for k, s in kinds.items()}
    downgrade(engine, BEFORE)
    with as_before(database):
        before = {k: median_ms(run(s)) for k, s in kinds.items()}
    app.dispose()
    engine.dispose()
    return [Row(database, n, k, found[k], after[k], before[k], get_ms, raw_ms) for k in kinds]


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
    args = parser.parse_args()
    rows: list[Row] = []
    print(f"# load average at the start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as workdir:
        for database in args.databases:
            for n in args.sizes:
                started = time.perf_counter()
                rows += measure(database, n, Path(workdir))
                print(f"# {database} {n:,}: {time.perf_counter() - started:.0f} s", flush=True)
    print(f"# load average at the end: {os.getloadavg()[0]:.1f}")
    report(rows)


if __name__ == "__main__":
    main()
