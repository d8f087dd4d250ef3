"""The product side of a simulation: a plansmith app on a fresh SQLite file or PostgreSQL
database, an operator with a live API key, and one sandbox per history (its test clock at the
history's start). The only module here that imports plansmith: it sets the product up."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import upgrade
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.simulation.calendar import iso
from tests.simulation.generator import History
from tests.simulation.runner import Sandbox

POSTGRES_URL = os.environ.get(
    "PLANSMITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A migrated, empty database of its own, dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'simulation.sqlite3'}"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url
        return
    name = f"plansmith_sim_{os.getpid()}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sandboxes(kind: str, url: str | None = None) -> Iterator[Sandbox]:
    """Histories played in-process over the app's HTTP interface (an httpx client on ASGI)."""
    with database(kind) if url is None else _given(url) as db_url:
        clock = TestClock(datetime.now(UTC))  # the wall clock: sandboxes keep their own
        settings = Settings(database_url=db_url, secret_key="simulation", base_url="http://sim")
        container = bootstrap(settings, clock=clock)
        try:
            org = create_organization(container.uow(), clock, "Simulation operator")
            key = create_api_key(container.uow(), clock, org.id, "simulation").secret
            live = {"Authorization": f"Bearer {key}"}
            with TestClient(create_app(container)) as http:
                yield _sandbox_maker(http, live)
        finally:
            container.dispose()


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _sandbox_maker(http: httpx.Client, live: dict[str, str]) -> Sandbox:
    @contextmanager
    def sandbox(history: History) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
        made = http.post(
            "/v1/sandboxes", json={"test_clock_start": iso(history.start)}, headers=live
        )
        made.raise_for_status()
        body = made.json()
        try:
            yield http, {"Authorization": f"Bearer {body['api_key']['secret']}"}
        finally:  # at most 50 live sandboxes: each history archives its own
            http.delete(f"/v1/sandboxes/{body['id']}", headers=live)

    return sandbox
