"""What a collection run costs in SQL statements, pinned: the organization's gateway is looked
up once a run, a batch of invoices is read twice whatever its size (held before the charges,
held again to record them), the gateway's own statements for a batch do not grow with it
either, and paying an active subscription's invoice reads neither the price book nor the
held-terms log (only a past-due one's recovery needs them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from plansmith.application.payments.collection_run import run_collection
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.collection_support import catalog, due_invoices, invoice_state


@pytest.fixture
def grace_minutes() -> int:
    return 0


@contextmanager
def _statements(app: Plansmith) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def _collected(app: Plansmith, org: str, invoices: int) -> list[str]:
    due = due_invoices(app, org, ["tok_sandbox_success"] * invoices)
    with _statements(app) as seen:
        done = run_collection(app.uow(), app.gateway_for, app.clock, org)
    assert (done.attempted, done.succeeded) == (invoices, invoices)
    assert all(invoice_state(app, d.invoice_id) == ("paid", 0) for d in due)
    return seen


def _reads(seen: list[str], table: str) -> int:
    return sum(1 for s in seen if s.startswith("SELECT") and f"FROM {table} " in f"{s} ")


def test_collecting_three_invoices_reads_the_organization_once_and_the_batch_twice(
    container: Plansmith, tenant: Tenant
) -> None:
    catalog(container, tenant.organization_id)

    seen = _collected(container, tenant.organization_id, 3)

    assert _reads(seen, "organizations") == 1
    # credits waiting beside open invoices, the walk (a batch, then none), then the batch
    # held before its charges and again to record them
    assert _reads(seen, "invoices") == 1 + 2 + 2
    assert _reads(seen, "catalog_revisions") == 0
    assert _reads(seen, "subscription_spans") == 0


def test_a_batch_costs_the_same_statements_whatever_its_size(
    container: Plansmith, tenant: Tenant
) -> None:
    catalog(container, tenant.organization_id)
    three = _collected(container, tenant.organization_id, 3)

    thirty = _collected(container, tenant.organization_id, 30)

    assert len(thirty) == len(three), (len(three), len(thirty))  # 36 per invoice before
