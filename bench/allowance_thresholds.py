"""Benchmark: what the allowance threshold check (ADR 0032) adds to usage ingest, in-process on
PostgreSQL, against the ingest transaction alone measured in the same run.

    .venv/bin/python bench/allowance_thresholds.py [--accounts 50] [--batches 50]

A fresh database ``plansmith_bench_thresholds`` with the demo catalog, N accounts on Chat Team
(1,000 chatbot sessions a month) and the meter ``chatbot_sessions``. Batches of 1,000 events
spread over the accounts (1,000 / N each) are ingested one after another, alternating:
``ingest`` as it ships (its transaction, then the threshold check in its own) and the same
batch size with the check switched off (the raw baseline: the ingest transaction alone). The
use passes 80 % and reaches 100 % of every account's allowance (a hard limit: never past it),
so the table shows batches below 80 % (the check reads, writes nothing), at the crossing
(it writes and publishes) and above (the primary key answers, nothing written). Every batch
must be accepted whole. PLANSMITH_BENCH_DATABASE_URL overrides the server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from importlib.resources import files

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from plansmith.adapters.db.migrate import upgrade
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.file import apply_catalog, load_yaml, read_catalog
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.application.usage import ingest as ingest_module
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Plansmith, Settings, bootstrap

SERVER = os.environ.get(
    "PLANSMITH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "plansmith_bench_thresholds"
BATCH = 1000


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(False)


def fresh_postgres() -> str:
    admin = create_engine(_psycopg(SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = _psycopg(make_url(SERVER).set(database=DATABASE).render_as_string(False))
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def populate(app: Plansmith, accounts: int) -> tuple[str, list[str]]:
    org = create_organization(app.uow(), app.clock, "Bench Thresholds").id
    catalog = files("plansmith.entrypoints.cli").joinpath("demo_catalog.yaml").read_text("utf-8")
    apply_catalog(app.uow(), app.clock, org, read_catalog(load_yaml(catalog), "demo_catalog.yaml"))
    meter = {
        "code": "chatbot_sessions",
        "name": "Chatbot sessions",
        "event_code": "chatbot_session",
        "aggregation": "count",
    }
    create_meter(app.uow(), app.clock, org, meter)
    made = []
    for n in range(accounts):
        data = AccountInput(f"Bench {n}", f"b{n}@bench.example", "USD", "UTC", "en_US")
        account = open_account(app.uow(), app.clock, org, data).id
        subscribe(app.uow(), app.clock, org, SubscribeInput(account, "chat-team", trial=False))
        made.append(account)
    return org, made


def batch(accounts: Sequence[str], prefix: str, at: str) -> list[object]:
    return [
        {
            "id": f"{prefix}-{n}",
            "account_id": accounts[n % len(accounts)],
            "code": "chatbot_session",
            "timestamp": at,
        }
        for n in range(BATCH)
    ]


def timed(app: Plansmith, org: str, events: list[object]) -> float:
    """Seconds to ingest one batch (looked up in the module: the baseline switches the check)."""
    started = time.perf_counter()
    answers = ingest_module.ingest(app.uow(), app.clock, org, events)
    elapsed = time.perf_counter() - started
    refused = {a.code for a in answers if a.status != "accepted"}
    assert not refused, f"a batch was not accepted whole: {refused}"
    return elapsed


def _no_check(*_args: object) -> list[object]:
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--batches", type=int, default=50, help="batches of 1,000 per side")
    args = parser.parse_args()
    if args.batches * (BATCH // args.accounts) > 1000:
        parser.error("Chat Team's 1,000 sessions are a hard limit: batches x 1,000 / accounts")
    url = fresh_postgres()
    app = bootstrap(Settings(database_url=url, secret_key="bench"))
    # The baseline's accounts are others, so its batches leave the checked side's use alone.
    org, both = populate(app, 2 * args.accounts)
    accounts, raw_accounts = both[: args.accounts], both[args.accounts :]
    at = app.clock.now().isoformat()
    shipped = vars(ingest_module)["publish_thresholds"]
    per_account = BATCH // args.accounts
    rows: dict[str, tuple[list[float], list[float]]] = {}
    for n in range(args.batches):
        used = (n + 1) * per_account  # of 1,000 after this batch
        crossed = any(used - per_account < t <= used for t in (800, 1000))
        band = "crossing" if crossed else ("below 80 %" if used < 800 else "at or above 80 %")
        checked, raw = rows.setdefault(band, ([], []))
        events = batch(accounts, f"c{n}", at)
        checked.append(timed(app, org, events))
        setattr(ingest_module, "publish_thresholds", _no_check)  # noqa: B010 - the baseline
        try:
            others = batch(raw_accounts, f"r{n}", at)
            raw.append(timed(app, org, others))
        finally:
            setattr(ingest_module, "publish_thresholds", shipped)  # noqa: B010
    with app.engine.connect() as connection:
        published = connection.execute(
            text("SELECT count(*) FROM outbox_events WHERE type = 'allowance.threshold_reached'")
        ).scalar_one()
    app.dispose()
    print(
        f"{args.accounts} accounts x {per_account} events per batch of {BATCH:,}; "
        f"{published} threshold events published (expected {2 * args.accounts})"
    )
    print(f"{'batches':<18}{'n':>4}{'ingest + check ms':>20}{'ingest alone ms':>18}{'ratio':>8}")
    for band, (checked, raw) in rows.items():
        a, b = statistics.median(checked) * 1000, statistics.median(raw) * 1000
        print(f"{band:<18}{len(checked):>4}{a:>20.1f}{b:>18.1f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
