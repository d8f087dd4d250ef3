"""The customer search goes through its index: the statement the repository runs is planned
through the trigram index on PostgreSQL and the FTS5 trigram table on SQLite, so these tests
fail when the index is dropped or the query stops fitting it. Migration 0011 makes the index,
takes it away again on the way down, and indexes the accounts made before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, insert, text

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.migrate import downgrade, upgrade
from plansmith.application.accounts import accounts as uc
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith
from tests.conftest import START, Tenant

ACCOUNTS = 3000


def _seed(container: Plansmith, organization_id: str, n: int, prefix: str) -> None:
    """n accounts written in one statement (the triggers of SQLite fire for each row)."""
    rows = [
        {
            "id": f"acct_{prefix}{i:06d}",
            "organization_id": organization_id,
            "name": f"Customer {prefix}{i:06d}",
            "email": f"c{prefix}{i:06d}@example.com",
            "currency": "EUR",
            "time_zone": "UTC",
            "locale": "en_US",
            "tax_id": None,
            "external_id": f"EXT-{prefix}{i:06d}",
            "default_invoice_address_id": None,
            "created_at": START + timedelta(seconds=i),
            "updated_at": START + timedelta(seconds=i),
        }
        for i in range(n)
    ]
    with container.engine.begin() as connection:
        connection.execute(insert(t.accounts), rows)
    if container.engine.dialect.name == "postgresql":
        # What autovacuum does after many inserts: the GIN index's pending entries are merged
        # and its statistics brought up to date (the planner prices a long pending list high).
        with container.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM ANALYZE accounts")


@pytest.fixture
def statements(container: Plansmith) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the container's engine runs, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(container.engine, "before_cursor_execute", record)
    yield seen
    event.remove(container.engine, "before_cursor_execute", record)


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(row[3] for row in rows)
    # A table this small is read whole at less cost than through any index: the planner is told
    # not to, so that what is asked is whether the index fits the query (not the reverse).
    with connection.begin():
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)


def _search_plans(
    container: Plansmith, tenant: Tenant, statements: list[tuple[str, Any]], search: str
) -> tuple[list[str], list[str]]:
    """The names found, and the plan of each query the search ran."""
    statements.clear()
    page = uc.list_accounts(container.uow(), tenant.organization_id, search=search)
    queries = [s for s in statements if s[0].lstrip().startswith("SELECT")]
    with container.engine.connect() as connection:
        return [a.name for a in page.items], [_plan(connection, *q) for q in queries]


def test_a_search_is_planned_through_the_trigram_index(
    container: Plansmith, tenant: Tenant, statements: list[tuple[str, Any]]
) -> None:
    other = create_organization(container.uow(), container.clock, "Elsewhere").id
    _seed(container, tenant.organization_id, ACCOUNTS, "a")
    _seed(container, other, ACCOUNTS // 3, "b")

    found, plans = _search_plans(container, tenant, statements, "0734")

    assert found == ["Customer a000734"]
    if container.engine.dialect.name == "sqlite":
        # Counting the candidates, then the page: each starts from the trigram table (the
        # organization's index would mean every account tested, or searched for, one by one).
        assert len(plans) == 2
        for plan in plans:
            assert "SCAN account_search VIRTUAL TABLE INDEX 0:M" in plan, plan
            assert "ix_accounts_org_created" not in plan, plan
            assert "SCAN accounts" not in plan, plan
    else:
        assert len(plans) == 1
        assert "ix_accounts_search" in plans[0], plans[0]


def test_the_migration_indexes_accounts_made_before_it_and_unwinds(
    container: Plansmith, tenant: Tenant, statements: list[tuple[str, Any]]
) -> None:
    _seed(container, tenant.organization_id, ACCOUNTS, "a")
    downgrade(container.engine, "0010_line_details")
    gone = _search_objects(container)
    _seed(container, tenant.organization_id, 5, "c")  # made while there is no index

    upgrade(container.engine)

    assert gone == set()
    assert _search_objects(container) == (
        {"account_search", "account_search_rows", "accounts_search_insert"}
        | {"accounts_search_update", "accounts_search_delete"}
        if container.engine.dialect.name == "sqlite"
        else {"ix_accounts_search"}
    )
    found, plans = _search_plans(container, tenant, statements, "c000003")
    assert found == ["Customer c000003"]
    assert "account_search" in plans[-1] or "ix_accounts_search" in plans[-1], plans


def _search_objects(container: Plansmith) -> set[str]:
    """The search's tables and triggers (SQLite; FTS5's shadow tables left out) or index."""
    with container.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            q = (
                "SELECT name FROM sqlite_master WHERE name LIKE 'account%search%'"
                " AND name NOT GLOB 'account_search_[cdi]*'"
            )
        else:
            q = "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%search%'"
        return set(connection.execute(text(q)).scalars())
