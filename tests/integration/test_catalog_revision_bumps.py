"""Every transaction that writes the catalog bumps the organization's catalog revision before
it commits, or the price books other processes hold would go stale. Watched on the engine for
every /v1 call the tenant-isolation walk makes (each kind of object created, every id route
called with the owner's key), so a catalog write added tomorrow is held to it too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import _body, _objects, _query, _url
from tests.integration.test_tenant_isolation_routes import _id_routes

CATALOG_TABLES = (
    "plan_families",
    "plans",
    "plan_versions",
    "plan_version_moves",
    "add_ons",
    "extra_packs",
)
WRITE = re.compile(
    r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE | re.MULTILINE
)


@contextmanager
def watched(container: Plansmith) -> Iterator[list[str]]:
    """Yields the catalog writes that committed without a revision bump."""
    unbumped: list[str] = []
    open_writes: dict[int, list[str]] = {}
    bumped: set[int] = set()

    def statement(conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        match = WRITE.match(sql)
        if match is None:
            return
        table = match.group(2)
        if table == "catalog_revisions":
            bumped.add(id(conn))
        elif table in CATALOG_TABLES:
            open_writes.setdefault(id(conn), []).append(f"{match.group(1)} {table}")

    def commit(conn: Any) -> None:
        writes = open_writes.pop(id(conn), [])
        if writes and id(conn) not in bumped:
            unbumped.append(", ".join(writes))
        bumped.discard(id(conn))

    def rollback(conn: Any) -> None:
        open_writes.pop(id(conn), None)
        bumped.discard(id(conn))

    event.listen(container.engine, "before_cursor_execute", statement)
    event.listen(container.engine, "commit", commit)
    event.listen(container.engine, "rollback", rollback)
    try:
        yield unbumped
    finally:
        event.remove(container.engine, "before_cursor_execute", statement)
        event.remove(container.engine, "commit", commit)
        event.remove(container.engine, "rollback", rollback)


def test_every_catalog_write_bumps_the_revision_in_its_transaction(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    with watched(container) as unbumped:
        ids = _objects(client, tenant)
        for method, path, route in _id_routes(client.app):  # type: ignore[arg-type]
            if method == "GET":
                continue
            response = client.request(
                method,
                _url(path, ids, method),
                params=_query(method, path, route),
                json=_body(method, path, route),
                headers=tenant.headers,
            )
            assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
    with container.uow() as uow:
        assert uow.price_books.revision(tenant.organization_id) > 5
    assert unbumped == []


def test_the_watch_sees_a_catalog_write_without_a_bump(container: Plansmith) -> None:
    """The guard above is no guard if it cannot see a write that skips the bump."""
    with watched(container) as unbumped, container.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE plans SET name = name WHERE 1 = 0")
    assert unbumped == ["UPDATE plans"]
