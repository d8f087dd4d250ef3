"""The app factory `plansmith serve` hands uvicorn by its import string, for every worker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from uvicorn.importer import import_from_string

from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.cli.main import APP_FACTORY
from plansmith.entrypoints.web import app_from_environment


def test_serve_names_the_factory_by_an_import_string_uvicorn_resolves() -> None:
    assert import_from_string(APP_FACTORY) is app_from_environment


def test_the_factory_builds_the_app_from_the_environment(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "plansmith.sqlite3"
    shutil.copyfile(sqlite_template, database)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "factory-secret")
    monkeypatch.setenv("PLANSMITH_BASE_URL", "https://billing.example")

    app = app_from_environment()

    container: Plansmith = app.state.plansmith
    assert container.settings.base_url == "https://billing.example"
    assert container.signer.secret == b"factory-secret"
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
    container.dispose()
