"""The plansmith command line, run in-process against a SQLite file or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Table, create_engine, func, select, text
from typer.testing import CliRunner

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import normalize_url
from plansmith.entrypoints.cli.main import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("PLANSMITH_BASE_URL", "http://127.0.0.1:8000")
    monkeypatch.chdir(tmp_path)  # `demo` keeps its keys in var/ here
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return url


def _count(url: str, table: Table) -> int:
    engine = create_engine(normalize_url(url))
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(count)


def test_db_upgrade_creates_every_table(database: str) -> None:
    engine = create_engine(database)
    with engine.connect() as connection:
        names = {
            row[0]
            for row in connection.execute(text("select name from sqlite_master where type='table'"))
        }
    engine.dispose()
    assert {table.name for table in t.metadata.sorted_tables} <= names


def test_org_key_and_user_create(database: str) -> None:
    org = runner.invoke(app, ["org", "create", "Acme"])
    key = runner.invoke(app, ["key", "create", "--org", "Acme"])
    user = runner.invoke(
        app,
        [
            "user",
            "create",
            "--org",
            org.stdout.strip(),
            "--email",
            "Ops@Acme.example",
            "--password",
            "correct horse battery",
        ],
    )

    assert org.exit_code == 0 and org.stdout.startswith("org_")
    assert key.exit_code == 0 and key.stdout.strip().startswith("sk_")
    assert user.exit_code == 0 and "ops@acme.example" in user.stdout
    assert _count(database, t.api_keys) == 1
    with create_engine(database).connect() as connection:
        stored = connection.execute(select(t.api_keys.c.secret_hash)).scalar_one()
    assert key.stdout.strip() not in stored  # only the digest is kept


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["org", "create", "  "], "error (name): name must not be empty"),
        (["key", "create", "--org", "nope"], "error (organization): no organization"),
        (
            [
                "user",
                "create",
                "--org",
                "Acme",
                "--email",
                "not-an-email",
                "--password",
                "long enough pw",
            ],
            "error (email):",
        ),
        (
            ["user", "create", "--org", "Acme", "--email", "a@b.example", "--password", "short"],
            "error (password): password must have at least 10 characters",
        ),
    ],
)
def test_bad_input_is_one_line_and_non_zero_and_writes_nothing(
    database: str, args: list[str], message: str
) -> None:
    runner.invoke(app, ["org", "create", "Acme"])
    before = (
        _count(database, t.organizations),
        _count(database, t.api_keys),
        _count(database, t.operator_users),
    )

    result = runner.invoke(app, args)

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    after = (
        _count(database, t.organizations),
        _count(database, t.api_keys),
        _count(database, t.operator_users),
    )
    assert after == before


def test_duplicate_organization_is_refused(database: str) -> None:
    runner.invoke(app, ["org", "create", "Acme"])
    again = runner.invoke(app, ["org", "create", "Acme"])
    assert again.exit_code == 1
    assert "exists already" in again.stderr
    assert _count(database, t.organizations) == 1


def test_demo_prints_the_way_in_and_loads_once(database: str) -> None:
    first = runner.invoke(app, ["demo"])
    second = runner.invoke(app, ["demo"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    for label in ("API docs", "API key", "Console", "Portal link"):
        assert label in first.stdout
    assert "http://127.0.0.1:8000/portal/enter?token=" in first.stdout
    assert "http://127.0.0.1:8000/docs" in first.stdout
    # The demo and its sandbox (3 customers of its own, each with a subscription).
    assert _count(database, t.organizations) == 2
    assert _count(database, t.accounts) == 8 + 3  # loading twice does not duplicate customers
    assert _count(database, t.invoice_addresses) == 8 + 3
    assert _count(database, t.operator_users) == 2
    assert "Customers    8 with 6 subscriptions (6 created)" in first.stdout
    assert "Customers    8 with 6 subscriptions at first, as you left them" in second.stdout
    assert _count(database, t.subscriptions) == 6 + 3
    assert sorted(_held(database)) == [
        ("chat-business", "active", 5, False),
        ("chat-flex", "active", 2, True),  # pay per day
        ("contact-center-2", "active", 100, False),  # seed 002's 100 accounts
        ("mailbox-silver", "trialing", 1, False),
        ("support-premium", "active", 1, False),
        ("support-standard", "active", 1, False),
    ]


def _held(url: str) -> list[tuple[str, str, int, bool]]:
    s, p = t.subscriptions.c, t.plans.c
    engine = create_engine(normalize_url(url))
    with engine.connect() as connection:
        rows = connection.execute(
            select(p.code, s.status, s.quantity, s.pay_per_day)
            .join(t.plans, p.id == s.plan_id)
            .join(t.organizations, t.organizations.c.id == s.organization_id)
            .where(t.organizations.c.name == "Demo SaaS")
        ).all()
    engine.dispose()
    return [(code, status, int(quantity), bool(daily)) for code, status, quantity, daily in rows]
