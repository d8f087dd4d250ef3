"""On SQLite, GET requests read in deferred transactions on a query-only connection: they take
no write lock, so a writer holding it (a billing run's batch, a slow change) never makes a
reader wait, and a read can never turn into a write."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert
from sqlalchemy.exc import OperationalError

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.reading import reading
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import make_tenant
from tests.integration.route_calls import _objects


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path, clock: TestClock) -> Iterator[Plansmith]:
    path = tmp_path / "reads.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    container = bootstrap(Settings(database_url=url, secret_key="s"), clock)
    yield container
    container.dispose()


def test_a_get_reads_without_the_write_lock_while_a_writer_holds_it(app: Plansmith) -> None:
    tenant = make_tenant(app, "Acme")
    client = TestClient(create_app(app))
    assert client.get("/v1/organization", headers=tenant.headers).status_code == 200
    begins: list[str] = []
    for engine in app.engines:
        event.listen(engine, "before_cursor_execute", lambda *a: begins.append(a[2]))

    answered: list[int] = []
    with app.engine.connect() as writer:
        writer.exec_driver_sql("SELECT 1")  # begun IMMEDIATE: the write lock, held till rollback
        begins.clear()
        reader = threading.Thread(
            target=lambda: answered.append(
                client.get("/v1/accounts", headers=tenant.headers).status_code
            )
        )
        reader.start()
        reader.join(timeout=20)  # the busy timeout is 30 s: a queued reader is still waiting
        finished_under_the_lock = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert finished_under_the_lock and answered == [200]
    assert "BEGIN IMMEDIATE" not in begins and "BEGIN" in begins


def test_a_preview_answers_while_a_writer_holds_the_lock(app: Plansmith) -> None:
    """A preview is a POST that writes nothing: it reads like a GET."""
    tenant = make_tenant(app, "Acme")
    client = TestClient(create_app(app))
    sub_id = _objects(client, tenant)["subscription_id"]
    path = f"/v1/subscriptions/{sub_id}/changes/preview"
    answered: list[int] = []
    with app.engine.connect() as writer:
        writer.exec_driver_sql("SELECT 1")  # begun IMMEDIATE: the write lock, held till rollback
        reader = threading.Thread(
            target=lambda: answered.append(
                client.post(path, json={"quantity": 3}, headers=tenant.headers).status_code
            )
        )
        reader.start()
        reader.join(timeout=20)
        finished_under_the_lock = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert finished_under_the_lock and answered == [200]


def test_a_unit_of_work_that_only_reads_cannot_write(app: Plansmith) -> None:
    tenant = make_tenant(app, "Acme")
    with reading() as reads:
        with app.uow() as uow, pytest.raises(OperationalError, match="readonly"):
            uow.session.execute(  # type: ignore[attr-defined]
                insert(t.catalog_revisions).values(
                    organization_id=tenant.organization_id, revision=9
                )
            )
        reads.close()
    with app.uow() as uow:
        assert uow.price_books.revision(tenant.organization_id) == 0
