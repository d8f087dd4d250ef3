"""`plansmith demo`'s metered usage, in-process on a SQLite file: the first run makes the three
meters and counts the usage of the current period (the portal's allowance bars have figures;
Northwind's chatbot use has passed 80 % and its notice is in the outbox); a second run, and a
first run that stopped after the usage, make and count nothing again, and say so."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from plansmith.application.organizations.organizations import find_organization
from plansmith.application.subscriptions.allowance_standing import subscription_standing
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.cli import demo, demo_usage
from plansmith.entrypoints.cli.main import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "demo-test-secret")
    monkeypatch.setenv("PLANSMITH_BASE_URL", "http://127.0.0.1:8000")
    monkeypatch.chdir(tmp_path)
    return url


@pytest.fixture
def container(database: str) -> Iterator[Plansmith]:
    built = bootstrap(Settings(database_url=database, secret_key="demo-test-secret"))
    yield built
    built.dispose()


def _demo() -> str:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _counts(url: str, org: str) -> tuple[int, int, int]:
    """(meters, usage events, threshold events) of the organization."""
    engine = create_engine(url)
    with engine.connect() as connection:
        found = tuple(
            int(connection.execute(text(q), {"org": org}).scalar_one())
            for q in (
                "SELECT count(*) FROM usage_meters WHERE organization_id = :org",
                "SELECT count(*) FROM usage_events WHERE organization_id = :org",
                "SELECT count(*) FROM outbox_events WHERE organization_id = :org"
                " AND type = 'allowance.threshold_reached'",
            )
        )
    engine.dispose()
    return found  # type: ignore[return-value]


def test_the_demo_makes_its_meters_and_usage_once(database: str, container: Plansmith) -> None:
    first = _demo()
    assert (
        "  Usage        3 meters (3 created), 4,503 usage events this period (4,503 counted now)"
        in first
    )
    org = find_organization(container.uow(), "Demo SaaS").id
    assert _counts(database, org) == (3, 4503, 1)  # Northwind's 80 % of 5,000
    accounts = demo._matched(container, org)
    with container.uow() as uow:
        sub = uow.subscriptions.for_account(org, accounts["cus-002"])[0]
    standing = {s.meter: s.standing for s in subscription_standing(container.uow(), org, sub.id)}
    assert (standing["chatbot_sessions"].included, standing["chatbot_sessions"].used) == (
        5000,
        Fraction(4100),
    )

    second = _demo()
    assert "  Usage        as you left it (the demo sends its usage once)" in second
    assert _counts(database, org) == (3, 4503, 1)
    # A first run that stopped after its usage: sent again, nothing is made or counted twice.
    again = demo_usage.load(container, org, accounts)
    assert (again.meters_made, again.events, again.events_counted) == (0, 4503, 0)
    assert _counts(database, org) == (3, 4503, 1)
