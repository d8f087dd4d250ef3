"""The crash test of the collection, on PostgreSQL, with a real process killed by SIGKILL: a
collection run over 2,000 open invoices dies right after a charge was captured at the sandbox
gateway and before its answer was recorded; the collection is run again, by two worker
processes at once over the same invoices (one per core), and settles everything. Each
invoice is captured at most once (counted in the gateway's own sandbox_charges rows), no
payment is left pending or unknown, every invoice is paid, and the ledger balances (the
ledger_invariants fixture checks every transaction and each account's receivable too).

Shortcut, to keep the setup to seconds: 20 customers are subscribed and billed through the
use cases (20 invoices of 10.00 USD, finalized by the billing run), and each invoice is then
copied 99 times by bulk inserts of exactly the rows finalizing writes (the invoice, its line,
its `invoice_finalized` ledger transaction from postings.finalized), numbered after the 20;
billing 2,000 subscriptions one by one would take minutes and tests nothing more here. The
collection goes in batches of 500 invoices, each charged with one call to the gateway."""

from __future__ import annotations

import signal
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, func, insert, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.invoicing.invoice_rows import invoice_row, line_rows
from plansmith.adapters.db.invoicing.ledger import entry_rows, transaction_row
from plansmith.application.billing.run import run_billing
from plansmith.application.kernel.ids import new_id
from plansmith.application.payments import methods
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.invoice import Invoice
from tests.conftest import Tenant
from tests.integration.crash_processes import Process, said, start
from tests.integration.payment_scenarios_support import monthly
from tests.unit.subscription_builders import new_account, seed_catalog

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

CUSTOMERS = 20
COPIES = 99  # of each customer's invoice: 20 x (1 + 99) = 2,000
INVOICES = CUSTOMERS * (1 + COPIES)
PRICE = 1000
HOLD_AT = 700  # the killed run captures its 700th charge and dies before recording it
BATCH = 500  # invoices per batch of the collection run (its default)


def _copies(app: Plansmith, org: str, originals: list[Invoice]) -> None:
    """COPIES of each invoice: new ids and numbers, no subscription, the same line."""
    invoices, lines, transactions, entries = [], [], [], []
    number = len(originals)
    for original in originals:
        with app.uow() as uow:
            buyer = uow.invoices.buyer(original.id)
        for _ in range(COPIES):
            number += 1
            copy = replace(
                original,
                id=new_id("inv"),
                number=f"INV-{number:06d}",
                subscription_id=None,
                lines=tuple(replace(line, subscription_id=None) for line in original.lines),
            )
            posted = postings.finalized(
                new_id("txn"), copy, copy.finalized_at or original.created_at
            )
            invoices.append(invoice_row(copy, None, buyer))
            lines.extend(line_rows(copy))
            transactions.append(transaction_row(posted))
            entries.extend(entry_rows(posted))
    with app.engine.begin() as connection:
        connection.execute(insert(t.invoices), invoices)
        connection.execute(insert(t.invoice_lines), lines)
        connection.execute(insert(t.ledger_transactions), transactions)
        connection.execute(insert(t.ledger_entries), entries)


def _start(db_url: str, org: str, clock: TestClock, hold_at: int, folder: Path) -> Process:
    args = [db_url, org, clock.now().isoformat(), str(hold_at)]
    return start("tests.integration.payment_crash_process", args, folder)


def _said(process: Process, folder: Path) -> list[str]:
    return said(process, folder)


def _scalar(app: Plansmith, q: Select[Any]) -> Any:
    with app.engine.connect() as connection:
        return connection.execute(q).scalar_one()


def _pairs(app: Plansmith, q: Select[Any]) -> dict[str, int]:
    """A two-column query's rows as {first: second}."""
    with app.engine.connect() as connection:
        return {str(key): int(value) for key, value in connection.execute(q)}


def test_a_collection_killed_mid_run_and_run_again_captures_each_invoice_once(
    container: Plansmith, tenant: Tenant, clock: TestClock, db_url: str, tmp_path: Path
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org, plans={"basic": monthly({"USD": PRICE})}, add_ons=False)
    gateway = container.gateway_for(org)
    for k in range(CUSTOMERS):
        acct = new_account(container, org, "USD", "UTC", name=f"Customer {k}")
        methods.add_card(container.uow(), gateway, clock, org, acct, source="tok_sandbox_success")
        subscribe(container.uow(), clock, org, SubscribeInput(acct, "basic"))
    run_billing(container.uow(), clock, org, grace=timedelta(0))
    with container.uow() as uow:
        originals = list(
            uow.invoices.invoices(org, account_id=None, status="open", after=None, limit=None)
        )
    assert len(originals) == CUSTOMERS
    _copies(container, org, originals)
    inv, p, s = t.invoices.c, t.payments.c, t.sandbox_charges.c
    assert _scalar(container, select(func.count()).where(inv.status == "open")) == INVOICES

    killed = _start(db_url, org, clock, HOLD_AT, tmp_path)
    assert _said(killed, tmp_path) == ["held"]
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(30) == -signal.SIGKILL

    # Killed in its second batch: the first 500 paid; the second's 500 payments written
    # pending before the gateway was called, 200 of them captured there, none recorded.
    statuses = select(p.status, func.count()).group_by(p.status)
    assert _pairs(container, statuses) == {"succeeded": BATCH, "pending": BATCH}
    assert _scalar(container, select(func.count()).select_from(t.sandbox_charges)) == HOLD_AT

    workers = [_start(db_url, org, clock, 0, tmp_path) for _ in range(2)]
    said = [_said(worker, tmp_path) for worker in workers]
    assert [worker.wait(30) for worker in workers] == [0, 0]

    # "done", attempted, succeeded, failed, unknown, refused: each worker looked at what was
    # left when it listed the due invoices (at most the 1,500); one the other was paying at
    # that very moment is refused (payment in progress), found paid already, or its attempt
    # in flight asked about (both may then count the one success): never charged twice, as
    # the gateway's rows below show. Nothing failed and nothing was left unknown.
    assert [words[0] for words in said] == ["done", "done"]
    runs = [[int(n) for n in words[1:]] for words in said]
    assert all(0 < r[0] <= INVOICES - BATCH for r in runs)
    assert [(r[2], r[3]) for r in runs] == [(0, 0), (0, 0)]
    assert _pairs(container, statuses) == {"succeeded": INVOICES}  # none pending or unknown
    captured = _pairs(
        container,
        select(p.invoice_id, func.count())
        .select_from(t.payments.join(t.sandbox_charges, s.idempotency_key == p.idempotency_key))
        .where(s.kind == "charge", s.outcome == "succeeded")
        .group_by(p.invoice_id),
    )
    assert len(captured) == INVOICES and set(captured.values()) == {1}  # each captured once
    assert _scalar(container, select(func.count()).select_from(t.sandbox_charges)) == INVOICES
    assert _pairs(container, select(inv.status, func.count()).group_by(inv.status)) == {
        "paid": INVOICES
    }
    e = t.ledger_entries.c
    cash = select(func.sum(e.amount)).where(e.organization_id == org, e.ledger_account == "cash")
    assert _scalar(container, cash) == INVOICES * PRICE
