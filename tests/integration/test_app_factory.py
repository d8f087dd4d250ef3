"""The app factory `plansmith serve` hands uvicorn by its import string, for every worker, and
the routes it puts in the app as they were declared (each worked out by FastAPI once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from uvicorn.importer import import_from_string

from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.cli.main import APP_FACTORY
from plansmith.entrypoints.request_text import refuse_unstorable_text
from plansmith.entrypoints.routers import add_routes
from plansmith.entrypoints.web import app_from_environment, create_app


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


def test_every_route_checks_its_text_first_and_is_named_after_its_function(
    container: Plansmith,
) -> None:
    app = create_app(container)

    routes = [route for route in app.routes if isinstance(route, APIRoute)]

    assert len(routes) > 100  # the routers' routes are in the app itself
    for route in routes:
        assert route.dependencies[0].dependency is refuse_unstorable_text, route.path
        assert route.unique_id == (route.operation_id or route.name)


def test_a_router_not_made_by_app_router_is_refused() -> None:
    stray = APIRouter()

    @stray.get("/stray")
    def stray_route() -> None:
        return None

    with pytest.raises(TypeError, match="/stray"):
        add_routes(FastAPI(), stray)
