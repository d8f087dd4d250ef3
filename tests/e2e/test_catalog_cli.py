"""`plansmith catalog export | apply`, `key create --publishable` and the demo catalog, run
in-process against a SQLite file, as an operator types them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from plansmith.adapters.db import tables as t
from plansmith.entrypoints.cli import catalog as catalog_cli
from plansmith.entrypoints.cli.main import app

runner = CliRunner()
ORG = "Mailbox Co"
CATALOG = """\
families:
  - {code: mailbox, name: Mailbox service plans}
plans:
  - code: bronze
    name: Bronze
    family: mailbox
    rank: 1
    channels: [signup, website, portal]
    terms:
      pricing: flat
      base_prices: {USD: 1999, JPY: 3000}
      cycle_discounts: {annual: "15"}
      trial_days: 30
      allowances: {scans: 10, incoming_mail_items: 30}
  - code: silver
    name: Silver
    family: mailbox
    rank: 2
    channels: [signup, website, portal]
    terms:
      pricing: flat
      prices:
        - {currency: USD, cycle: month, amount: 2999}
        - {currency: EUR, cycle: month, amount: 2799}
      allowances: {scans: 30, incoming_mail_items: 60}
add_ons:
  - code: check-deposit
    name: Check deposit
    prices: [{currency: USD, cycle: month, amount: 500}]
extra_packs:
  - {code: scans-25, name: 25 extra scans, prices: {USD: 1000}, allowance: scans, amount: 25}
"""


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "cli.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("PLANSMITH_BASE_URL", "http://127.0.0.1:8000")
    monkeypatch.chdir(tmp_path)
    return url


@pytest.fixture
def org(database: str) -> str:
    result = runner.invoke(app, ["org", "create", ORG])
    assert result.exit_code == 0, result.output
    return ORG


def counts(url: str) -> dict[str, int]:
    tables = (t.plan_families, t.plans, t.plan_versions, t.add_ons, t.extra_packs)
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in tables
        }
    engine.dispose()
    return found


def versions(url: str, code: str) -> list[tuple[int, str, str]]:
    v, p = t.plan_versions.c, t.plans.c
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(v.number, v.status, v.name)
            .join(t.plans, p.id == v.plan_id)
            .where(p.code == code)
            .order_by(v.number)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def write(tmp_path: Path, text: str, name: str = "catalog.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_apply_shows_the_changes_then_writes_them(org: str, database: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalog", "apply", write(tmp_path, CATALOG), "--org", org, "-y"])

    assert result.exit_code == 0, result.output
    assert "+ create    plan       bronze" in result.stdout
    assert "Applied in one transaction: 5 created, 0 updated, 0 unchanged." in result.stdout
    assert counts(database) == {
        "plan_families": 1,
        "plans": 2,
        "plan_versions": 2,
        "add_ons": 1,
        "extra_packs": 1,
    }


def test_applying_the_same_file_twice_changes_nothing_the_second_time(
    org: str, database: str, tmp_path: Path
) -> None:
    path = write(tmp_path, CATALOG)
    runner.invoke(app, ["catalog", "apply", path, "--org", org, "--yes"])
    before = counts(database), versions(database, "bronze")

    again = runner.invoke(app, ["catalog", "apply", path, "--org", org])  # no --yes needed

    assert again.exit_code == 0, again.output
    assert "= unchanged plan       bronze" in again.stdout
    assert "0 to create, 0 to update, 5 unchanged" in again.stdout
    assert "Nothing to change" in again.stdout
    assert (counts(database), versions(database, "bronze")) == before


def test_export_then_apply_round_trips(org: str, database: str, tmp_path: Path) -> None:
    runner.invoke(app, ["catalog", "apply", write(tmp_path, CATALOG), "--org", org, "--yes"])
    exported = runner.invoke(app, ["catalog", "export", "--org", org])
    to_file = runner.invoke(app, ["catalog", "export", "--org", org, "--output", "out.yaml"])
    before = counts(database)

    applied = runner.invoke(app, ["catalog", "apply", "out.yaml", "--org", org, "--yes"])
    again = runner.invoke(app, ["catalog", "export", "--org", org])

    assert exported.exit_code == 0 and to_file.exit_code == 0, exported.output + to_file.output
    assert (tmp_path / "out.yaml").read_text(encoding="utf-8") == exported.stdout
    assert "base_prices: {JPY: 3000, USD: 1999}" in exported.stdout
    assert "wrote 1 families, 2 plans, 1 add_ons, 1 extra_packs to out.yaml" in to_file.stderr
    assert applied.exit_code == 0 and "Nothing to change" in applied.stdout
    assert counts(database) == before
    assert again.stdout == exported.stdout


def test_a_changed_price_makes_version_2_and_keeps_version_1_as_legacy(
    org: str, database: str, tmp_path: Path
) -> None:
    runner.invoke(app, ["catalog", "apply", write(tmp_path, CATALOG), "--org", org, "--yes"])
    changed = write(tmp_path, CATALOG.replace("{USD: 1999,", "{USD: 2499,"), "changed.yaml")

    dry = runner.invoke(app, ["catalog", "apply", changed, "--org", org, "--dry-run"])
    assert dry.exit_code == 0 and "Dry run: nothing written." in dry.stdout
    assert len(versions(database, "bronze")) == 1
    result = runner.invoke(app, ["catalog", "apply", changed, "--org", org, "--yes"])

    assert result.exit_code == 0, result.output
    assert "~ update    plan       bronze" in result.stdout
    assert "terms.base_prices.USD: 1999 -> 2499" in result.stdout
    assert "publishes version 2; existing subscribers: never" in result.stdout
    assert versions(database, "bronze") == [
        (1, "legacy", "Bronze Legacy"),
        (2, "current", "Bronze"),
    ]
    assert versions(database, "silver") == [(1, "current", "Silver")]


def test_without_a_terminal_apply_asks_for_yes_and_writes_nothing(
    org: str, database: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["catalog", "apply", write(tmp_path, CATALOG), "--org", org])

    assert result.exit_code == 1
    assert "run again with --yes" in result.stderr
    assert set(counts(database).values()) == {0}


@pytest.mark.parametrize(("answer", "written"), [("y\n", True), ("n\n", False)])
def test_at_a_terminal_apply_asks_first(
    org: str,
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    written: bool,
) -> None:
    monkeypatch.setattr(catalog_cli, "_interactive", lambda: True)

    result = runner.invoke(
        app, ["catalog", "apply", write(tmp_path, CATALOG), "--org", org], input=answer
    )

    assert "Apply 5 change(s) to Mailbox Co? [y/N]" in result.stdout
    assert result.exit_code == (0 if written else 1)
    assert counts(database)["plans"] == (2 if written else 0)
    if not written:
        assert "Nothing written." in result.stderr


BROKEN = [
    (
        "negative price in one plan among valid ones",
        CATALOG.replace("amount: 2799}", "amount: -2799}"),
        ["plans[1].terms.prices[1].amount: a price cannot be negative"],
    ),
    (
        "unknown currency",
        CATALOG.replace("{USD: 1999, JPY: 3000}", "{USD: 1999, YEN: 3000}"),
        ["plans[0].terms.base_prices.YEN: 'YEN' is not an active ISO 4217 currency code"],
    ),
    (
        "several errors",
        CATALOG.replace("rank: 2", "rank: -2").replace("amount: 25}", "amount: 0}"),
        [
            "plans[1].rank: rank is a whole number from 0 to 1000",
            "extra_packs[0].amount: must be a whole number of at least 1",
        ],
    ),
    (
        "bad YAML syntax",
        CATALOG.replace("    rank: 2\n", "    rank: 2\n   oops: [\n"),
        [
            "line 19, column 4: not valid YAML: expected <block end>, "
            "but found '<block mapping start>'"
        ],
    ),
    (
        "a family that exists nowhere",
        CATALOG.replace("family: mailbox\n    rank: 2", "family: mail\n    rank: 2"),
        ["plans[1].family: no plan family 'mail' in the file or the catalog"],
    ),
]


@pytest.mark.parametrize(("text", "lines"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_a_broken_file_is_refused_whole_naming_the_file_and_the_path(
    org: str, database: str, tmp_path: Path, text: str, lines: list[str]
) -> None:
    path = write(tmp_path, text, "broken.yaml")
    before = counts(database)

    result = runner.invoke(app, ["catalog", "apply", path, "--org", org, "--yes"])

    assert result.exit_code == 1
    assert result.stdout == ""
    printed = result.stderr.strip().splitlines()
    assert len(printed) == len(lines), result.stderr
    for line, expected in zip(printed, lines, strict=True):
        assert line.startswith(f"{path}: {expected}"), line
    assert counts(database) == before


def test_a_missing_file_and_an_unknown_organization_are_one_line_each(
    org: str, database: str
) -> None:
    missing = runner.invoke(app, ["catalog", "apply", "nope.yaml", "--org", org, "--yes"])
    no_org = runner.invoke(app, ["catalog", "export", "--org", "Nobody"])

    assert missing.exit_code == 1
    assert missing.stderr.strip() == "nope.yaml: cannot read the file: No such file or directory"
    assert no_org.exit_code == 1
    assert no_org.stderr.strip().startswith("error (organization): no organization")


def test_key_create_publishable_prints_a_pk_key(org: str, database: str) -> None:
    public = runner.invoke(app, ["key", "create", "--org", org, "--publishable"])
    secret = runner.invoke(app, ["key", "create", "--org", org])

    assert public.exit_code == 0, public.output
    assert public.stdout.strip().startswith("pk_")
    assert secret.stdout.strip().startswith("sk_")
    engine = create_engine(database)
    with engine.connect() as connection:
        kinds = sorted(connection.execute(select(t.api_keys.c.kind)).scalars())
    engine.dispose()
    assert kinds == ["publishable", "secret"]


def test_demo_loads_the_demo_catalog_once(database: str) -> None:
    first = runner.invoke(app, ["demo"])
    loaded = counts(database)
    second = runner.invoke(app, ["demo"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    # The demo's catalog, and the same again in the demo's sandbox.
    assert loaded["plans"] >= 30 and loaded["add_ons"] == 16 and loaded["extra_packs"] >= 4
    assert loaded["plan_versions"] == loaded["plans"]
    assert counts(database) == loaded  # the second run duplicates nothing
    assert "31 created, 0 updated, 0 unchanged" in first.stdout
    assert "Catalog      as you left it (the demo loads its catalog once)" in second.stdout
    [public] = [line for line in second.stdout.splitlines() if "Public key" in line]
    key = public.split()[-1]
    assert key.startswith("pk_")
    assert f"Pricing      http://127.0.0.1:8000/v1/pricing?key={key}" in second.stdout
    exported = runner.invoke(app, ["catalog", "export", "--org", "Demo SaaS"])
    assert "contact-center-2" in exported.stdout and "mailbox-gold" in exported.stdout
