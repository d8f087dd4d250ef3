"""The driver pairs the model's invoices with the product's made at one instant by their
lines, not only their total (seed 30175: two invoices of 0 made at a cancel for nonpayment,
a stopped window's usage line and a credit and charge that cancel out, were paired by the
order the product listed them, so the seed failed in one run of five)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.simulation.invoice_comparison import matching
from tests.simulation.model import Account, Invoice, Item, Sub

D = date


def _product(kind: str, amount: int) -> dict[str, Any]:
    line = {"kind": kind, "amount": amount, "period_start": "2026-10-26"}
    line |= {"period_end": "2026-11-01", "usage": None, "tax": 0}
    return {"totals": {"total": 0}, "lines": [line], "id": kind}


@pytest.mark.parametrize("listed", [("usage", "credit"), ("credit", "usage")])
def test_two_invoices_of_one_total_are_told_apart_by_their_lines(
    listed: tuple[str, str],
) -> None:
    account = Account(0, "USD", "America/New_York")
    sub = Sub(
        account,
        "pro",
        "month",
        1,
        D(2026, 10, 24),
        D(2026, 10, 24),
        D(2026, 11, 24),
        D(2026, 10, 24),
    )
    item = Item("credit", 0, D(2026, 10, 26), D(2026, 11, 1))
    invoice = Invoice(1, sub, "stop:2026-10-31", datetime(2026, 11, 1, 1, tzinfo=UTC), [item])
    same = [_product(kind, 0) for kind in listed]
    assert matching(same, invoice)["id"] == "credit"
