"""Shared by the usage billing scenarios (test_billing_scenarios_usage*.py): meters, events
sent through the ingest use case at the clock's time, and the usage lines of invoices.

Usage line rows: (kind, description, quantity, unit amount, amount, period start, period end,
meter, measured quantity, allowance, billable quantity)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plansmith.adapters.clock import TestClock
from plansmith.application.usage.ingest import ingest
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice

Row = tuple[object, ...]


def meter(app: Plansmith, org: str, code: str, aggregation: str = "count", **extra: Any) -> None:
    data = {"code": code, "name": code.title(), "event_code": code, "aggregation": aggregation}
    create_meter(app.uow(), app.clock, org, {**data, **extra})


def send(
    app: Plansmith, org: str, account: str, code: str, at: str, copies: int = 1, **props: Any
) -> list[str]:
    """``copies`` events dated ``at`` (ISO with offset), received at the clock's time: each answer's
    status (or refusal code)."""
    clock = app.clock
    assert isinstance(clock, TestClock)
    stamp = clock.now().timestamp()
    events = [
        {
            "id": f"{code}-{at}-{stamp}-{i}",
            "account_id": account,
            "code": code,
            "timestamp": at,
            "properties": props,
        }
        for i in range(copies)
    ]
    answers = []
    for first in range(0, copies, 1000):
        answers += ingest(app.uow(), app.clock, org, events[first : first + 1000])
    return [a.code or a.status for a in answers]


def usage_lines(invoice: Invoice) -> list[Row]:
    found: list[Row] = []
    for line in invoice.lines:
        if line.usage is None:
            continue
        u = line.usage
        found.append(
            (
                line.kind.value,
                line.description,
                line.quantity,
                line.unit_amount,
                line.amount,
                line.period_start,
                line.period_end,
                u.meter,
                u.quantity,
                u.allowance,
                u.billable_quantity,
            )
        )
    return found


def other_lines(invoice: Invoice) -> list[tuple[object, ...]]:
    return [
        (line.kind.value, line.amount, line.period_start, line.period_end)
        for line in invoice.lines
        if line.usage is None
    ]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)
