"""Shared by the billing scenarios (test_billing_scenarios_*.py): running the billing run at
the period ends, and reading what it wrote as rows.

The TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import run_billing
from plansmith.application.subscriptions.actions import ChangeInput, change_subscription
from plansmith.application.subscriptions.lifecycle import Result
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import LedgerAccount

D = date


Line = tuple[object, ...]


MINUTE = timedelta(minutes=1)


# Everything a billing run may add, except its own run record.
WRITTEN = (
    t.invoices,
    t.invoice_lines,
    t.ledger_transactions,
    t.ledger_entries,
    t.credit_notes,
    t.subscription_items,
    t.subscription_events,
    t.document_sequences,
)


def _count(app: Plansmith, table: Table) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _counts(app: Plansmith) -> list[int]:
    return [_count(app, table) for table in WRITTEN]


def _bill(app: Plansmith, org: str, at: datetime | None = None) -> RunRecord:
    clock = app.clock
    assert isinstance(clock, TestClock)
    if at is not None:
        clock.set(at)
    return run_billing(app.uow(), clock, org, grace=timedelta(0))


def _made(run: RunRecord) -> tuple[int, int, int, int, int]:
    """(renewed, invoiced, finalized, skipped, errors) of one run."""
    return run.renewed, run.invoiced, run.finalized, run.skipped, len(run.errors)


def _invoices(app: Plansmith, org: str) -> list[Invoice]:
    with app.uow() as uow:
        found = uow.invoices.invoices(org, account_id=None, status=None, after=None, limit=500)
    return sorted(found, key=lambda i: (i.number or "~", i.created_at))


def _head(invoice: Invoice) -> tuple[object, ...]:
    s = invoice.totals
    return (
        invoice.number,
        invoice.status.value,
        invoice.period_start,
        invoice.period_end,
        s.subtotal,
        s.discount,
        s.tax,
        s.total,
        s.credit_applied,
        s.amount_due,
    )


def _lines(invoice: Invoice) -> list[Line]:
    return [
        (
            line.kind.value,
            line.description,
            line.quantity,
            line.unit_amount,
            line.amount,
            line.discount,
            line.tax,
            line.total,
            line.period_start,
            line.period_end,
        )
        for line in invoice.lines
    ]


def _balance(app: Plansmith, account: str, ledger: LedgerAccount, currency: str) -> int:
    with app.uow() as uow:
        return uow.ledger.ledger_balance(account, ledger, currency)


def _rerun_creates_nothing(app: Plansmith, org: str) -> None:
    before = _counts(app), [_head(i) for i in _invoices(app, org)]
    assert _made(_bill(app, org)) == (0, 0, 0, 0, 0)
    assert (_counts(app), [_head(i) for i in _invoices(app, org)]) == before


def _month_starts(year: int, month: int, count: int) -> list[date]:
    """The first day of ``count`` months from year/month."""
    return [D(year + (month - 1 + m) // 12, (month - 1 + m) % 12 + 1, 1) for m in range(count)]


def _subscribe(app: Plansmith, org: str, account: str, plan: str, quantity: int) -> str:
    data = SubscribeInput(account, plan, quantity=quantity)
    return subscribe(app.uow(), app.clock, org, data).view.subscription.id


def _change(app: Plansmith, org: str, sub_id: str, **changes: Any) -> Result:
    data = ChangeInput(**changes)
    return change_subscription(app.uow(), app.clock, org, sub_id, data)


def _monthly_plan(amounts: dict[str, int], **extra: object) -> dict[str, object]:
    prices = [{"currency": c, "cycle": "month", "amount": a} for c, a in amounts.items()]
    return {"pricing": "per_seat", "prices": prices, **extra}
