"""What bench/load.py checks after the load: the ledger's invariants and two of billing's, the
work the background did, and the database dropped."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
from bench_postgres import SERVER, raw_url
from sqlalchemy import text

from plansmith.adapters.db.engine import make_engine

ROOT = str(Path(__file__).resolve().parents[1])

# Every invoice's total is the sum of its lines' totals (ledger_violations checks the subtotal,
# discount and tax too; this one is asked for on its own, with the count it covers).
_TOTALS = text(
    "SELECT i.id, i.total, COALESCE(SUM(l.total), 0) AS lines FROM invoices i "
    "LEFT JOIN invoice_lines l ON l.invoice_id = i.id GROUP BY i.id, i.total "
    "HAVING i.total <> COALESCE(SUM(l.total), 0)"
)
# A subscription's period is invoiced once: no two invoices (but voided ones) of one
# subscription for the same period of its plan.
_TWICE = text(
    "SELECT subscription_id, period_start, period_end, count(*) AS n, "
    "string_agg(COALESCE(number, id), ', ') AS names FROM invoices "
    "WHERE subscription_id IS NOT NULL AND billing_key LIKE 'period:%' AND status <> 'void' "
    "GROUP BY subscription_id, period_start, period_end HAVING count(*) > 1"
)
COUNTS = {
    "billing runs": "SELECT count(*) FROM billing_runs",
    "invoices": "SELECT count(*) FROM invoices",
    "invoices paid": "SELECT count(*) FROM invoices WHERE status = 'paid'",
    "payments": "SELECT count(*) FROM payments",
    "usage events": "SELECT count(*) FROM usage_events",
}


def invariant_violations(url: str) -> list[str]:
    """Each violation found, in words; none: all hold."""
    if ROOT not in sys.path:  # the repository's tests package, for its ledger invariants
        sys.path.append(ROOT)
    from tests.integration.ledger_invariants import assert_ledger_invariants

    engine = make_engine(url)
    found: list[str] = []
    try:
        assert_ledger_invariants(engine)
    except AssertionError as broken:
        found += str(broken).splitlines()[1:]
    with engine.connect() as connection:
        checked = connection.execute(text("SELECT count(*) FROM invoices")).scalar_one()
        found += [
            f"invoice {r.id}: total {r.total} but its lines sum to {r.lines}"
            for r in connection.execute(_TOTALS)
        ]
        found += [
            f"subscription {r.subscription_id}: {r.n} invoices for {r.period_start}.."
            f"{r.period_end} ({r.names})"
            for r in connection.execute(_TWICE)
        ]
    engine.dispose()
    print(f"checked {checked:,} invoices", flush=True)
    return found


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(raw_url(url)) as connection:
        return {
            name: int((connection.execute(sql).fetchone() or (0,))[0])
            for name, sql in COUNTS.items()
        }


def sessions(url: str) -> int:
    """PostgreSQL sessions opened on the database so far (pool connections made anew)."""
    with psycopg.connect(raw_url(url)) as connection:
        found = connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(found[0]) if found else 0


def described(before: dict[str, int], after: dict[str, int]) -> str:
    return ", ".join(f"{after[k] - before[k]:+,} {k}" for k in COUNTS)


def drop_database(name: str) -> None:
    admin = make_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
