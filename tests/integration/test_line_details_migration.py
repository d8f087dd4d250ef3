"""Revision 0010_line_details on PostgreSQL: lines made before it get their subscription and
their days exactly, from their invoice and their item; what cannot be known (the cycle, the
run that made an invoice) stays null.

PostgreSQL only: going down past it with rows in place drops columns, which SQLite does by
copying the table, and the copy of `invoices` is refused while rows refer to it (foreign keys
are on), as for every revision that drops a column; on SQLite the history is tested on an
empty database (test_migrations.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.migrate import downgrade, upgrade
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

L = t.invoice_lines.c
FIELDS = (L.source_id, L.subscription_id, L.cycle, L.days, L.period_days)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _lines(container: Plansmith) -> list[tuple[Any, ...]]:
    with container.engine.connect() as connection:
        q = select(*FIELDS).order_by(L.invoice_id, L.position)
        return [tuple(row) for row in connection.execute(q)]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_lines_of_before_get_their_subscription_and_days_and_no_cycle(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    h = tenant.headers
    _ok(client.post("/v1/plan_families", json={"code": "s", "name": "S"}, headers=h), 201)
    for code, rank, price in (("lite", 1, 2990), ("pro", 2, 4990)):
        plan = {"code": code, "name": code, "family": "s", "rank": rank, "publish": True}
        body = {**plan, "terms": {"base_prices": {"JPY": price}}}
        _ok(client.post("/v1/plans", json=body, headers=h), 201)
    account = {"name": "Tanaka", "email": "t@example.com", "currency": "JPY"}
    account_id = _ok(client.post("/v1/accounts", json=account, headers=h), 201)["id"]
    body = {"account_id": account_id, "plan": "lite", "quantity": 3}
    sub = _ok(client.post("/v1/subscriptions", json=body, headers=h), 201)["id"]
    _ok(client.post("/v1/billing_runs", headers=h), 201)
    clock.advance(timedelta(days=14))
    _ok(client.post(f"/v1/subscriptions/{sub}/changes", json={"plan": "pro"}, headers=h))
    clock.advance(timedelta(days=14))
    _ok(client.post("/v1/billing_runs", headers=h), 201)
    made = _lines(container)

    downgrade(container.engine, "0008")
    upgrade(container.engine)

    # February (full), then the credit and charge of 14 of 28 days, and March (full).
    assert sorted((row[1:] for row in made), key=str) == [
        (sub, "month", 14, 28),
        (sub, "month", 14, 28),
        (sub, "month", None, None),
        (sub, "month", None, None),
    ]
    assert _lines(container) == [(*row[:2], None, *row[3:]) for row in made]
    with container.engine.connect() as connection:
        runs = connection.execute(select(t.invoices.c.billing_run_id)).scalars().all()
        cycles = connection.execute(select(t.subscription_items.c.cycle)).scalars().all()
    assert (runs, cycles) == ([None, None], [None] * 4)
    # The columns take new values again (the upgrade left them in place).
    with container.engine.begin() as connection:
        connection.execute(update(t.invoice_lines).values(cycle="month"))
    assert _lines(container) == made
