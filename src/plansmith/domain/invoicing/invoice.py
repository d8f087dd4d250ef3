"""Invoices: the document and its lines, tax rates, discounts, credit notes and the status
machine.

Every amount is an integer of minor units. How billable items become priced lines (discounts,
credits, tax, totals) is in invoice_pricing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.money import round_half_up


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
    USAGE = "usage"  # a meter's usage over a period, in arrears, rated by its charge
    PACK = "pack"  # an extra pack bought, charged once in full at purchase


@dataclass(frozen=True)
class UsageDetail:
    """What a usage line measured: the meter's value over its period, the period's allowance
    (prorated after a plan change, with pack units) and the billable rest it was rated on."""

    meter: str
    quantity: Fraction  # exact: a sum meter may give 2.5
    allowance: int
    billable_quantity: Fraction

    def to_data(self) -> dict[str, object]:
        return {
            "meter": self.meter,
            "quantity": _decimal_text(self.quantity),
            "allowance": self.allowance,
            "billable_quantity": _decimal_text(self.billable_quantity),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> UsageDetail:
        return cls(
            meter=str(data["meter"]),
            quantity=Fraction(str(data["quantity"])),
            allowance=int(str(data["allowance"])),
            billable_quantity=Fraction(str(data["billable_quantity"])),
        )


def _decimal_text(value: Fraction) -> str:
    """A meter value as exact decimal text (values are whole or micros, so it terminates)."""
    if value.denominator == 1:
        return str(value.numerator)
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f").rstrip("0")


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
    usage: UsageDetail | None = None  # usage lines only

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


def billed_period(lines: Sequence[InvoiceLine]) -> tuple[date | None, date | None]:
    """The span an invoice bills: its lines' earliest start to latest end (None: no periods)."""
    starts = [line.period_start for line in lines if line.period_start is not None]
    ends = [line.period_end for line in lines if line.period_end is not None]
    return (min(starts) if starts else None, max(ends) if ends else None)


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
