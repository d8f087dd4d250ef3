"""`plansmith user set-password` and `user remove`: each ends the user's console sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.cli.main import app
from plansmith.entrypoints.web import create_app

runner = CliRunner()
EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A migrated SQLite file with one console user, and the app the CLI's changes reach."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "cli-test-secret")
    for args in (
        ["db", "upgrade"],
        ["org", "create", "Acme"],
        ["user", "create", "--org", "Acme", "--email", EMAIL, "--password", PASSWORD],
    ):
        assert runner.invoke(app, args).exit_code == 0
    container = bootstrap(Settings())
    with TestClient(create_app(container)) as client:
        yield client
    container.dispose()


def _sign_in(client: TestClient, password: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/console/login", data={"email": EMAIL, "password": password}, follow_redirects=False
    )
    return response


def _signed_in(client: TestClient) -> bool:
    page: httpx.Response = client.get("/console/customers", follow_redirects=False)
    return page.status_code == 200


def test_set_password_ends_every_session_of_the_user(console: TestClient) -> None:
    with TestClient(console.app) as other_browser:
        assert _sign_in(console, PASSWORD).status_code == 303
        assert _sign_in(other_browser, PASSWORD).status_code == 303

        result = runner.invoke(
            app, ["user", "set-password", "--email", "OPS@acme.example", "--password", NEW_PASSWORD]
        )

        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"password changed for {EMAIL}; 2 session(s) ended"
        assert not _signed_in(console) and not _signed_in(other_browser)
    assert _sign_in(console, PASSWORD).status_code == 401
    assert _sign_in(console, NEW_PASSWORD).status_code == 303


def test_remove_ends_the_sessions_and_the_user_cannot_sign_in(console: TestClient) -> None:
    assert _sign_in(console, PASSWORD).status_code == 303

    result = runner.invoke(app, ["user", "remove", "--email", EMAIL])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed user_") and EMAIL in result.stdout
    assert not _signed_in(console)
    assert _sign_in(console, PASSWORD).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["user", "set-password", "--email", EMAIL, "--password", "short"],
            "error (password): password must have at least 10 characters",
        ),
        (
            ["user", "set-password", "--email", "nobody@acme.example", "--password", NEW_PASSWORD],
            "error (email): no console user 'nobody@acme.example'",
        ),
        (["user", "remove", "--email", "nobody@acme.example"], "error (email): no console user"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    console: TestClient, args: list[str], message: str
) -> None:
    assert _sign_in(console, PASSWORD).status_code == 303

    result = runner.invoke(app, args)

    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _signed_in(console)  # the session lives on
    assert _sign_in(TestClient(console.app), PASSWORD).status_code == 303
