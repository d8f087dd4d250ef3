"""Shared by the invoice tests (test_invoicing_*.py): draft lines, coupons, rates and invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from plansmith.domain.invoicing.invoice import (
    Discount,
    DiscountKind,
    InvoiceLine,
    LineKind,
    TaxRate,
)
from plansmith.domain.invoicing.pricing import DraftLine

VAT_10 = TaxRate("vat-10", "VAT", Decimal("10"), inclusive=False)


def draft(
    amount: int, plan_id: str | None = None, kind: LineKind = LineKind.RECURRING
) -> DraftLine:
    return DraftLine(
        kind=kind,
        description=f"line of {amount}",
        quantity=1,
        unit_amount=amount,
        amount=amount,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        source_id=f"item-{amount}-{plan_id}",
        plan_id=plan_id,
    )


def percent_off(percent: str, *plans: str) -> Discount:
    return Discount(
        "coupon-p",
        f"{percent} % off",
        DiscountKind.PERCENT,
        percent=Decimal(percent),
        plan_ids=frozenset(plans),
    )


def amount_off(amount: int, *plans: str) -> Discount:
    return Discount(
        "coupon-a", f"{amount} off", DiscountKind.AMOUNT, amount=amount, plan_ids=frozenset(plans)
    )


def parts(lines: list[InvoiceLine]) -> list[tuple[int, int, int, int]]:
    """(amount, discount, tax, total) per line, the figures the examples assert."""
    return [(line.amount, line.discount, line.tax, line.total) for line in lines]
