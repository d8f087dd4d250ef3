"""Pricing an invoice's lines: from draft lines to discounted, taxed lines, their totals and tax
summary.

Every amount is an integer of minor units. A line is rounded once where it is made (the
billable item already was); a discount is split over the lines it covers with largest
remainder, so no minor unit is lost; a credit gives back what was charged for its days (the
discount ratio of the charge it reverses, rounded once); tax is computed and rounded per line
on the net. The invoice total is exactly the sum of its line totals, and the tax summary
exactly the sum of the lines' taxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from plansmith.domain.invoicing.invoice import (
    Discount,
    DiscountKind,
    InvoiceLine,
    LineKind,
    TaxRate,
    TaxSummary,
    Totals,
    UsageDetail,
)
from plansmith.domain.kernel.limits import MAX_INVOICE_AMOUNT, TooLarge, figure
from plansmith.domain.kernel.money import allocate, round_half_up


@dataclass(frozen=True)
class DraftLine:
    """What goes on an invoice before discounts and tax: one billable item or one-off charge."""

    kind: LineKind
    description: str
    quantity: int
    unit_amount: int
    amount: int  # signed, rounded once already
    period_start: date | None
    period_end: date | None
    source_id: str  # the billable item (or one-off charge) it came from
    plan_id: str | None = None  # for discounts restricted to plans
    # The part of the terms it bills ("plan", "add_on:<code>"): a credit reverses the charge
    # of its own part. None (a one-off): it reverses nothing.
    component: str | None = None
    # What the API tells about the line (its item's, as is): the cycle of the terms it
    # bills, the days it bills of a period that long (part periods and pay-per-day only),
    # and the subscription it bills.
    cycle: str | None = None
    days: int | None = None
    period_days: int | None = None
    subscription_id: str | None = None
    usage: UsageDetail | None = None


@dataclass(frozen=True)
class ChargedLine:
    """A recurring or charge line already on an invoice: what a later credit for some of its
    days gives back mirrors what was taken off it."""

    component: str
    plan_id: str | None
    period_start: date
    period_end: date
    amount: int
    discount: int


def _discounts(lines: Sequence[DraftLine], discounts: Sequence[Discount]) -> list[int]:
    """Per line, what all discounts take off; each discount allocated by largest remainder
    over the positive lines it covers, never more than those lines are worth."""
    taken = [0] * len(lines)
    for discount in discounts:
        covered = [
            i
            for i, line in enumerate(lines)
            if line.amount - taken[i] > 0 and _covers(discount, line)
        ]
        if not covered:
            continue
        room = [lines[i].amount - taken[i] for i in covered]
        base = sum(room)
        if discount.kind is DiscountKind.PERCENT:
            off = round_half_up(Fraction(base) * Fraction(discount.percent) / 100)
        else:
            off = discount.amount
        off = min(off, base)
        if off <= 0:
            continue
        for i, part in zip(covered, allocate(off, room), strict=True):
            taken[i] += part
    return taken


def _covers(discount: Discount, line: DraftLine) -> bool:
    return not discount.plan_ids or line.plan_id in discount.plan_ids


def takes_something(discount: Discount, lines: Sequence[DraftLine]) -> bool:
    """Whether the discount covers a charge on these lines (a credit only mirrors the discount
    of the charge it reverses, so it never makes a coupon count as used)."""
    return any(line.amount > 0 and _covers(discount, line) for line in lines)


_CHARGES = (LineKind.RECURRING, LineKind.CHARGE)


def _reverses(
    credit: DraftLine, component: str | None, plan_id: str | None, start: date, end: date
) -> bool:
    """Whether a charge of this part and plan, billed for [start, end), covers the credit."""
    if credit.component is None or credit.period_start is None or credit.period_end is None:
        return False
    return (
        credit.component == component
        and credit.plan_id == plan_id
        and start <= credit.period_start
        and credit.period_end <= end
    )


def _charge_ratio(
    at: int, lines: Sequence[DraftLine], taken: Sequence[int], charged: Sequence[ChargedLine]
) -> Fraction:
    """The share of its amount that was taken off the charge the credit ``lines[at]``
    reverses: the latest one before it on this draft, else the latest invoiced; 0 if none."""
    credit = lines[at]
    for i in range(at - 1, -1, -1):
        line = lines[i]
        if (
            line.kind in _CHARGES
            and line.period_start is not None
            and line.period_end is not None
            and _reverses(credit, line.component, line.plan_id, line.period_start, line.period_end)
        ):
            return Fraction(taken[i], line.amount) if line.amount > 0 else Fraction(0)
    for charge in reversed(charged):
        if _reverses(
            credit, charge.component, charge.plan_id, charge.period_start, charge.period_end
        ):
            return Fraction(charge.discount, charge.amount) if charge.amount > 0 else Fraction(0)
    return Fraction(0)


def _mirrored(
    lines: Sequence[DraftLine], taken: Sequence[int], charged: Sequence[ChargedLine]
) -> list[int]:
    """Each credit gives back what was charged for its days: its (negative) discount is its
    amount times its charge's discount ratio, rounded once. The coupons of now play no part,
    so a coupon that ran out still shows on the credit, and one redeemed later does not."""
    mirrored = list(taken)
    for i, line in enumerate(lines):
        if line.kind is LineKind.CREDIT and line.amount < 0:
            mirrored[i] = round_half_up(line.amount * _charge_ratio(i, lines, taken, charged))
    return mirrored


def line_tax(net: int, rate: TaxRate | None) -> int:
    """The tax of one line's net amount, rounded once (inside the net for an inclusive rate)."""
    if rate is None or rate.percent == 0:
        return 0
    percent = Fraction(rate.percent)
    if rate.inclusive:
        return round_half_up(Fraction(net) * percent / (100 + percent))
    return round_half_up(Fraction(net) * percent / 100)


def price_lines(
    lines: Sequence[DraftLine],
    discounts: Sequence[Discount],
    tax_rate: TaxRate | None,
    charged: Sequence[ChargedLine] = (),
) -> list[InvoiceLine]:
    """Discounts on the charges, credits mirroring the charges they reverse (on this draft or
    in ``charged``, oldest first), then tax per line on the net, each rounded once."""
    taken = _mirrored(lines, _discounts(lines, discounts), charged)
    priced = []
    for line, discount in zip(lines, taken, strict=True):
        net = line.amount - discount
        tax = line_tax(net, tax_rate)
        total = net if tax_rate is not None and tax_rate.inclusive else net + tax
        priced.append(
            InvoiceLine(
                kind=line.kind,
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                amount=line.amount,
                discount=discount,
                tax_rate_id=tax_rate.id if tax_rate is not None else None,
                tax=tax,
                total=total,
                period_start=line.period_start,
                period_end=line.period_end,
                source_id=line.source_id,
                plan_id=line.plan_id,
                cycle=line.cycle,
                days=line.days,
                period_days=line.period_days,
                subscription_id=line.subscription_id,
                usage=line.usage,
            )
        )
    _check_size(priced)
    return priced


def _check_size(lines: Sequence[InvoiceLine]) -> None:
    """Every sum an invoice stores (subtotal, discount, tax, total, what credit notes and the
    ledger take from it) is at most its lines' amounts, discounts and taxes taken whole: keep
    that within MAX_INVOICE_AMOUNT, so none can overflow a 64-bit column."""
    size = sum(abs(line.amount) + abs(line.discount) + abs(line.tax) for line in lines)
    if size > MAX_INVOICE_AMOUNT:
        raise TooLarge(
            f"this invoice's {len(lines)} lines come to more than an invoice may hold "
            f"({figure(MAX_INVOICE_AMOUNT)} minor units in amounts, discounts and taxes); "
            "its items stay pending (see Limits in the API documentation)",
            field="lines",
        )


def totals(lines: Iterable[InvoiceLine], credit_available: int = 0) -> Totals:
    """The sums of the lines; customer credit pays what it can of a positive total."""
    lines = list(lines)
    total = sum(line.total for line in lines)
    applied = min(max(credit_available, 0), max(total, 0))
    return Totals(
        subtotal=sum(line.amount for line in lines),
        discount=sum(line.discount for line in lines),
        tax=sum(line.tax for line in lines),
        total=total,
        credit_applied=applied,
        amount_due=max(total - applied, 0),
    )


def tax_summary(lines: Iterable[InvoiceLine], rates: Mapping[str, TaxRate]) -> list[TaxSummary]:
    """One row per rate: what was taxed and the tax, the exact sums of the lines."""
    rows: dict[str, tuple[int, int]] = {}
    for line in lines:
        if line.tax_rate_id is None:
            continue
        rate = rates[line.tax_rate_id]
        taxable = line.net - line.tax if rate.inclusive else line.net
        before = rows.get(line.tax_rate_id, (0, 0))
        rows[line.tax_rate_id] = (before[0] + taxable, before[1] + line.tax)
    return [
        TaxSummary(rid, rates[rid].name, rates[rid].percent, rates[rid].inclusive, taxed, tax)
        for rid, (taxed, tax) in rows.items()
    ]
