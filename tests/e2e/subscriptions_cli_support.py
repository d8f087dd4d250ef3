"""The `demo` fixture and helpers shared by the `plansmith sub ...` tests and the other CLI tests.

The commands build the app with a TestClock shared with the test (main.bootstrap is wrapped),
so every date and prorated amount below is exact. The clock starts on 2026-01-31 15:00 UTC:
Feb 1 00:00 in Tokyo, Jan 31 10:00 in New York, Jan 31 18:00 in Kuwait."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.cli import main
from plansmith.entrypoints.cli.main import app

runner = CliRunner()


ORG = "Acme Contact"


CATALOG = """\
families:
  - code: contact-center
    name: Contact center packages
    policy: {upgrade: now, downgrade: term_end, seats_down: term_end, cycle_change: true}
  - {code: mailbox, name: Mailbox plans}
plans:
  - code: cc-1
    name: Contact Center 1
    family: contact-center
    rank: 1
    channels: [signup, website, portal]
    terms: {pricing: per_seat, base_prices: {USD: 1500, JPY: 2000}, trial_days: 7}
  - code: cc-2
    name: Contact Center 2
    family: contact-center
    rank: 2
    channels: [signup, website, portal]
    terms: {pricing: per_seat, base_prices: {USD: 2500, JPY: 3500}, min_seats: 5, trial_days: 7}
  - code: gold
    name: Gold
    family: mailbox
    rank: 1
    channels: [signup]
    terms: {pricing: flat, base_prices: {KWD: 9000, USD: 2999}}
add_ons:
  - code: call-recording
    name: Call recording
    prices:
      - {currency: USD, cycle: month, amount: 500}
      - {currency: JPY, cycle: month, amount: 700}
    quantity_allowed: true
    fits_families: [contact-center]
"""


WRITTEN = (
    t.subscriptions,
    t.subscription_spans,
    t.subscription_events,
    t.subscription_items,
    t.subscription_notices,
)


@dataclass(frozen=True)
class Demo:
    url: str
    clock: TestClock
    sakura: str  # JPY, Asia/Tokyo
    northwind: str  # USD, America/New_York
    gulf: str  # KWD, Asia/Kuwait


@pytest.fixture
def demo(
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: TestClock,
) -> Iterator[Demo]:
    path = tmp_path / "cli.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "cli-test-secret")
    monkeypatch.chdir(tmp_path)
    real = bootstrap
    monkeypatch.setattr(main, "bootstrap", lambda settings=None: real(settings, clock=clock))
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    for args in (["org", "create", ORG], ["catalog", "apply", "catalog.yaml", "--org", ORG, "-y"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    container = bootstrap(Settings(database_url=url, secret_key="x"), clock=clock)
    yield Demo(
        url,
        clock,
        _account(container, "Sakura Contact Center", "JPY", "Asia/Tokyo"),
        _account(container, "Northwind Chat", "USD", "America/New_York"),
        _account(container, "Gulf Mailbox", "KWD", "Asia/Kuwait"),
    )
    container.dispose()


def _account(container: Plansmith, name: str, currency: str, zone: str) -> str:
    with container.uow() as uow:
        org = uow.organizations.find_by_name(ORG)
    assert org is not None
    data = AccountInput(name, f"billing@{name.split()[0].lower()}.example", currency, zone)
    return open_account(container.uow(), container.clock, org.id, data).id


def sub(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["sub", *args])
    return result.exit_code, result.stdout, result.stderr


def created(*args: str) -> str:
    """Run `sub create --org ORG ...` and return the new subscription's id."""
    code, stdout, stderr = sub("create", "--org", ORG, *args)
    assert code == 0, stderr
    first = stdout.splitlines()[0]
    assert first.startswith("Created sub_"), stdout
    return first.removeprefix("Created ").rstrip(".")


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in WRITTEN
        }
    engine.dispose()
    return found


def rows(table: str) -> list[list[str]]:
    """The body rows of a printed table, cell by cell."""
    return [[c.strip() for c in r.split("│")] for r in table.splitlines() if "│" in r]
