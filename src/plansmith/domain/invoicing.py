"""Invoices: lines from billable items, discounts, taxes, totals and the status machine.

Every amount is an integer of minor units. A line is rounded once where it is made (the
billable item already was); a discount is split over the lines it covers with largest
remainder, so no minor unit is lost; a credit gives back what was charged for its days (the
discount ratio of the charge it reverses, rounded once); tax is computed and rounded per line
on the net. The invoice total is exactly the sum of its line totals, and the tax summary
exactly the sum of the lines' taxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from plansmith.domain import error_codes as ec
from plansmith.domain.errors import DomainError, InvalidValue
from plansmith.domain.limits import MAX_INVOICE_AMOUNT, TooLarge, figure
from plansmith.domain.money import allocate, round_half_up


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # being assembled; no number; nothing posted
    OPEN = "open"  # finalized: numbered, posted to the ledger, awaiting payment
    PAID = "paid"
    VOID = "void"  # canceled after finalizing (reversed in the ledger), or a discarded draft
    UNCOLLECTIBLE = "uncollectible"  # written off; may still be paid or voided


INVOICE_TRANSITIONS: Mapping[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.OPEN, InvoiceStatus.VOID}),
    InvoiceStatus.OPEN: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE}
    ),
    InvoiceStatus.UNCOLLECTIBLE: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


class InvoiceStateError(DomainError):
    code = ec.INVALID_INVOICE_TRANSITION


def check_invoice_transition(current: InvoiceStatus, to: InvoiceStatus) -> None:
    if to not in INVOICE_TRANSITIONS[current]:
        hint = {
            InvoiceStatus.PAID: "; a paid invoice is corrected with a credit note",
            InvoiceStatus.VOID: "; a void invoice stays void",
            InvoiceStatus.OPEN: "; it is finalized already" if to is InvoiceStatus.OPEN else "",
        }.get(current, "")
        article = "an" if current.value[0] in "aeiou" else "a"
        raise InvoiceStateError(
            f"{article} {current} invoice cannot become {to}{hint}", field="status"
        )


class LineKind(StrEnum):
    """What a billable item, and the invoice line it becomes, bills."""

    RECURRING = "recurring"  # a full period in advance
    CREDIT = "credit"  # the unused rest of a period at the old terms
    CHARGE = "charge"  # the rest of a period at the new terms
    ACCRUAL = "accrual"  # pay-per-day: days active x day rate, in arrears
    ONE_OFF = "one_off"  # extra packs and other charges the operator adds


@dataclass(frozen=True)
class TaxRate:
    """A tax rate: exclusive (added on top) or inclusive (already inside the price)."""

    id: str
    name: str  # e.g. "VAT", "Consumption tax"
    percent: Decimal
    inclusive: bool
    country: str | None = None  # ISO 3166-1 alpha-2; None: applies where chosen per account
    region: str | None = None

    def __post_init__(self) -> None:
        if not _percent_within(self.percent, allow_zero=True):
            raise InvalidValue("a tax rate is between 0 and 100 %", field="percent")


def _percent_within(value: object, *, allow_zero: bool = False) -> bool:
    """An exact, finite Decimal percentage in (0, 100] (or [0, 100]); floats never."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    return (value >= 0 if allow_zero else value > 0) and value <= 100


class DiscountKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Discount:
    """A coupon as applied to one invoice: a percentage, or an amount in the invoice currency."""

    coupon_id: str
    name: str
    kind: DiscountKind
    percent: Decimal = Decimal(0)
    amount: int = 0
    plan_ids: frozenset[str] = frozenset()  # empty: every line; else lines of these plans

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DiscountKind):
            raise InvalidValue("a discount is a percent or an amount", field="kind")
        if self.kind is DiscountKind.PERCENT and not _percent_within(self.percent):
            raise InvalidValue(
                "a percentage discount is above 0 and at most 100 %",
                field="percent",
                code=ec.DISCOUNT_RANGE,
            )
        if self.kind is DiscountKind.AMOUNT and (
            isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0
        ):
            raise InvalidValue(
                "an amount discount is a positive whole number of minor units", field="amount"
            )


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


@dataclass(frozen=True)
class InvoiceLine:
    kind: LineKind
    description: str
    quantity: int
    unit_amount: int
    amount: int  # before discount and before exclusive tax
    discount: int  # taken off amount (>= 0 on charges)
    tax_rate_id: str | None
    tax: int  # exclusive: added; inclusive: the part of (amount - discount) that is tax
    total: int  # what this line adds to the invoice
    period_start: date | None
    period_end: date | None
    source_id: str
    plan_id: str | None = None
    cycle: str | None = None  # these four as on the DraftLine it was priced from
    days: int | None = None
    period_days: int | None = None
    subscription_id: str | None = None

    @property
    def net(self) -> int:
        """The line after its discount, before exclusive tax (inclusive: tax inside)."""
        return self.amount - self.discount


@dataclass(frozen=True)
class TaxSummary:
    tax_rate_id: str
    name: str
    percent: Decimal
    inclusive: bool
    taxable: int  # sum of the taxed lines' nets, excluding the tax itself
    tax: int


@dataclass(frozen=True)
class Totals:
    subtotal: int  # sum of line amounts
    discount: int  # sum of line discounts
    tax: int  # sum of line taxes (inclusive taxes are inside subtotal - discount)
    total: int  # sum of line totals
    credit_applied: int  # customer credit used (>= 0)
    amount_due: int  # total - credit_applied, never below zero


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


def _tax(net: int, rate: TaxRate | None) -> int:
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
        tax = _tax(net, tax_rate)
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


def billed_period(lines: Sequence[InvoiceLine]) -> tuple[date | None, date | None]:
    """The span an invoice bills: its lines' earliest start to latest end (None: no periods)."""
    starts = [line.period_start for line in lines if line.period_start is not None]
    ends = [line.period_end for line in lines if line.period_end is not None]
    return (min(starts) if starts else None, max(ends) if ends else None)


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


@dataclass(frozen=True)
class Invoice:
    id: str
    organization_id: str
    account_id: str
    subscription_id: str | None
    currency: str
    status: InvoiceStatus
    number: str | None  # given when finalized, per organization, without gaps
    period_start: date | None  # the span its lines bill, earliest start to latest end
    period_end: date | None
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    tax_id: str | None  # the buyer's tax id as it stood when the invoice was made
    created_at: datetime
    finalize_after: datetime  # drafts wait a grace period before they are finalized
    finalized_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    discounts: tuple[Discount, ...] = field(default_factory=tuple)
    billing_run_id: str | None = None  # the billing run that made it; None: made otherwise

    def moved(self, to: InvoiceStatus, at: datetime) -> Invoice:
        check_invoice_transition(self.status, to)
        stamps = {
            InvoiceStatus.OPEN: {"finalized_at": at},
            InvoiceStatus.PAID: {"paid_at": at},
            InvoiceStatus.VOID: {"voided_at": at},
        }.get(to, {})
        return replace(self, status=to, **stamps)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CreditNote:
    """A correction or refund against a finalized invoice, tax included in ``amount``."""

    id: str
    organization_id: str
    invoice_id: str
    number: str
    reason: str
    amount: int
    tax: int
    created_at: datetime


def credit_note_tax(invoice: Invoice, amount: int) -> int:
    """The tax part of a credit of ``amount`` on ``invoice``: its share of the invoice's tax."""
    if invoice.totals.total <= 0:
        return 0
    return round_half_up(Fraction(invoice.totals.tax * amount, invoice.totals.total))
