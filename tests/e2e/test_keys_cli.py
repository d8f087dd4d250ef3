"""`plansmith key list|revoke|roll` and `plansmith org list`, run in-process on a SQLite file.

The command line runs on the wall clock, so instants are checked against the rows it wrote.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from plansmith.adapters.db import tables as t
from plansmith.entrypoints.cli.main import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "cli-test-secret")
    _ok("db", "upgrade")
    return url


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _keys(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = {row.id: row for row in connection.execute(select(t.api_keys))}
    engine.dispose()
    return rows


def _key_id(url: str, secret: str) -> str:
    [key_id] = [k for k, row in _keys(url).items() if secret.startswith(row.prefix)]
    return key_id


def _one_line_error(result: Any, starts: str) -> None:
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(starts), result.stderr


def test_org_list_shows_id_name_sandbox_and_created(database: str) -> None:
    live = _ok("org", "create", "Acme").stdout.strip()
    sandbox = _ok("org", "create", "Acme Sandbox", "--sandbox").stdout.strip()

    listed = _ok("org", "list").stdout

    rows = [line for line in listed.splitlines() if "org_" in line]
    assert len(rows) == 2
    assert live in rows[0] and "Acme" in rows[0] and " no " in rows[0]
    assert sandbox in rows[1] and "Acme Sandbox" in rows[1] and " yes " in rows[1]
    assert all(column in listed for column in ("id", "name", "sandbox", "created"))


def test_key_list_shows_name_prefix_kind_times_and_never_the_secret(
    database: str,
) -> None:
    _ok("org", "create", "Acme")
    secret = _ok("key", "create", "--org", "Acme", "--name", "backend").stdout.strip()
    public = _ok("key", "create", "--org", "Acme", "--name", "pricing", "--publishable")
    key_id = _key_id(database, secret)

    listed = _ok("key", "list", "--org", "Acme").stdout

    [row] = [line for line in listed.splitlines() if key_id in line]
    assert "backend" in row and f"{secret[:10]}…" in row and "secret" in row
    assert "never" in row and "active" in row
    assert secret not in listed and public.stdout.strip() not in listed
    for column in ("name", "prefix", "kind", "created", "last used", "status"):
        assert column in listed


def test_key_revoke_stops_the_key_and_a_second_revoke_is_one_line_and_exit_1(
    database: str,
) -> None:
    _ok("org", "create", "Acme")
    key_id = _key_id(database, _ok("key", "create", "--org", "Acme").stdout.strip())

    revoked = _ok("key", "revoke", key_id, "--org", "Acme")
    again = runner.invoke(app, ["key", "revoke", key_id, "--org", "Acme"])
    listed = _ok("key", "list", "--org", "Acme").stdout

    assert f"revoked {key_id}" in revoked.stdout
    assert _keys(database)[key_id].revoked_at is not None
    _one_line_error(again, f"error (key_id): {key_id} was revoked at ")
    assert "revoked 20" in listed


def test_key_roll_prints_the_new_secret_and_the_old_key_works_for_the_overlap(
    database: str,
) -> None:
    _ok("org", "create", "Acme")
    key_id = _key_id(database, _ok("key", "create", "--org", "Acme", "--name", "ci").stdout.strip())

    rolled = _ok("key", "roll", key_id, "--org", "Acme", "--overlap", "24h")

    new_secret = rolled.stdout.strip()
    assert new_secret.startswith("sk_") and len(new_secret.splitlines()) == 1
    keys = _keys(database)
    old, [new] = keys[key_id], [row for k, row in keys.items() if k != key_id]
    assert (new.name, new.kind, new.prefix) == ("ci", "secret", new_secret[:10])
    assert old.revoked_at is None
    assert old.expires_at - new.created_at == timedelta(hours=24)
    assert f"rolled {key_id} into {new.id}" in rolled.stderr
    listed = _ok("key", "list", "--org", "Acme").stdout
    assert "expires 20" in listed
    again = runner.invoke(app, ["key", "roll", key_id, "--org", "Acme", "--overlap", "0"])
    _one_line_error(again, f"error (key_id): {key_id} was rolled already")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--overlap", "8d"], "error (--overlap): --overlap must be between 0"),
        (["--overlap", "soon"], "error (--overlap): 'soon' is not a duration"),
        (["--overlap", "-1h"], "error (--overlap): '-1h' is not a duration"),
    ],
)
def test_a_bad_overlap_is_one_line_and_changes_nothing(
    database: str,
    args: list[str],
    message: str,
) -> None:
    _ok("org", "create", "Acme")
    key_id = _key_id(database, _ok("key", "create", "--org", "Acme").stdout.strip())
    before = _keys(database)

    result = runner.invoke(app, ["key", "roll", key_id, "--org", "Acme", *args])

    _one_line_error(result, message)
    assert _keys(database) == before


def test_another_organizations_key_is_not_found_from_the_command_line(
    database: str,
) -> None:
    _ok("org", "create", "Acme")
    _ok("org", "create", "Other")
    theirs = _key_id(database, _ok("key", "create", "--org", "Other").stdout.strip())
    before = _keys(database)

    revoke = runner.invoke(app, ["key", "revoke", theirs, "--org", "Acme"])
    roll = runner.invoke(app, ["key", "roll", theirs, "--org", "Acme", "--overlap", "0"])

    _one_line_error(revoke, f"error (key_id): no API key '{theirs}' in this organization")
    _one_line_error(roll, f"error (key_id): no API key '{theirs}' in this organization")
    assert _keys(database) == before
