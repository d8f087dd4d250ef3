"""Request and response bodies for invoices, credit notes, tax rates, coupons, billing runs and
the ledger in the API.

Money is integer minor units of the document's currency with an ``*_formatted`` string. On an
invoice, a credit note and a ledger entry it is written in the account's locale, as the invoice
itself shows it; on a coupon (no account) in en_US. Percentages are exact decimal text ("10",
"8.25"), never floats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator, StrictBool, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from plansmith.adapters.money_format import format_money
from plansmith.application.billing_ports import MadeInvoice, Redemption, RunRecord
from plansmith.application.billing_run import Upcoming
from plansmith.application.invoice_views import InvoiceView
from plansmith.application.pagination import encode_cursor
from plansmith.domain import error_codes as ec
from plansmith.domain.coupons import Coupon, Duration
from plansmith.domain.invoicing import (
    CreditNote,
    Discount,
    DiscountKind,
    Invoice,
    InvoiceLine,
    TaxRate,
    TaxSummary,
    Totals,
    tax_summary,
)
from plansmith.domain.ledger import Transaction
from plansmith.domain.limits import (
    MAX_COUPON_CYCLES,
    MAX_INVOICE_AMOUNT,
    MAX_PERCENT_PLACES,
    MAX_PRICE,
)
from plansmith.domain.money import Money
from plansmith.entrypoints.api.schemas import AtMost, ListOut, OneOf, Strict
from plansmith.entrypoints.api.subscription_schemas import (
    CYCLE_HELP,
    DAYS_HELP,
    PERIOD_DAYS_HELP,
    PLAN_HELP,
    PeriodOut,
)

# A run's answer embeds this many of the invoices it made, as Stripe embeds 10 lines in an
# invoice; the rest are paged at GET /v1/billing_runs/{id}/invoices.
RUN_INVOICES_SHOWN = 10
PERCENT_HELP = 'Exact, as text or a whole number: "10", "8.25", 15; floats are refused'


_PERCENT = r"0*(?:100(?:\.0{1,4})?|[0-9]{1,2}(?:\.[0-9]{1,4})?)"
"""0 to 100 with at most MAX_PERCENT_PLACES decimal places, written plainly ("8.875")."""
_ABOVE_ZERO = (
    r"0*(?:100(?:\.0{1,4})?|[1-9][0-9]?(?:\.[0-9]{1,4})?"
    r"|0\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))"
)
"""The same, above 0: a coupon takes something off."""
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class _Percent:
    """Text or a whole number as sent (the use case reads it exactly), refused here exactly as
    the document says: a float, even 10.0, is ``invalid_value`` "percent" (where a union of
    strict types would say "percent.str"); out of range ``discount_range``; more than four
    decimal places ``too_many_decimals``; other text (" 10", "1e1") ``invalid_value``."""

    pattern: str
    lowest: int  # 0, or 1 for a coupon's: above 0

    def check(self, value: object) -> str | int | None:
        if value is None:
            return None  # the use case says "required" or ignores it, as for any field
        if isinstance(value, int) and not isinstance(value, bool):
            if not self.lowest <= value <= 100:
                raise PydanticCustomError(str(ec.DISCOUNT_RANGE), self._range())
            return value
        if not isinstance(value, str):
            raise PydanticCustomError(
                str(ec.INVALID_VALUE), 'give a percentage as text or a whole number, e.g. "12.5"'
            )
        if re.fullmatch(self.pattern, value):
            return value
        if _DECIMAL.fullmatch(value) is None:
            raise PydanticCustomError(
                str(ec.INVALID_VALUE), 'write a percentage in digits and a point, e.g. "12.5"'
            )
        number = Decimal(value)
        if not (number > 0 if self.lowest else number >= 0) or number > 100:
            raise PydanticCustomError(str(ec.DISCOUNT_RANGE), self._range())
        raise PydanticCustomError(
            str(ec.TOO_MANY_DECIMALS),
            f"a percentage has at most {MAX_PERCENT_PLACES} decimal places",
        )

    def _range(self) -> str:
        if self.lowest:
            return "a percentage discount is above 0 and at most 100 %"
        return "a percentage is between 0 and 100 %"

    def schema(self, *, nullable: bool = False) -> dict[str, Any]:
        kinds: list[dict[str, Any]] = [
            {"type": "string", "pattern": f"^{self.pattern}$"},
            {"type": "integer", "minimum": self.lowest, "maximum": 100},
        ]
        return {"anyOf": kinds + ([{"type": "null"}] if nullable else [])}


_RATE = _Percent(_PERCENT, 0)
_OFF = _Percent(_ABOVE_ZERO, 1)
Percent = Annotated[str | int | None, PlainValidator(_RATE.check), WithJsonSchema(_RATE.schema())]
"""A tax rate: 0 to 100 %."""
PercentOff = Annotated[
    str | int | None, PlainValidator(_OFF.check), WithJsonSchema(_OFF.schema(nullable=True))
]
"""A coupon's percentage: above 0, at most 100 %."""


def money(amount: int, currency: str, locale: str = "en_US") -> str:
    return format_money(Money.of(amount, currency), locale)


def percent_text(value: Decimal) -> str:
    """10 rather than 1E+1 or 10.00."""
    return format(value.normalize(), "f")


# -- requests ---------------------------------------------------------------------------------


class TaxRateCreate(Strict):
    name: str = Field(examples=["Consumption tax"])
    percent: Percent = Field(description=PERCENT_HELP, examples=["10"])
    inclusive: StrictBool = Field(False, description="true: prices already include the tax")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 of invoice addresses")
    region: str | None = Field(None, description="Narrows a country rate to one region")


class AccountTaxRateSet(Strict):
    tax_rate_id: str | None = Field(
        description="The rate this account's invoices use whatever its address; null: by address"
    )


class CouponCreate(Strict):
    code: str = Field(examples=["spring15"])
    name: str = Field(examples=["Spring 15 % off"])
    kind: Annotated[str, OneOf(DiscountKind)] = Field(description="percent or amount")
    percent: PercentOff = Field(None, description=PERCENT_HELP)
    # Checked here: the use case reads `amounts` for an amount coupon only.
    amounts: dict[str, Annotated[StrictInt, AtMost(MAX_PRICE, 1, ec.INVALID_VALUE)]] = Field(
        {}, description="For amount: {currency: minor units}"
    )
    duration: Annotated[str, OneOf(Duration)] = Field(
        "once", description="once, repeating (for `cycles` invoices), forever"
    )
    cycles: Annotated[StrictInt, AtMost(MAX_COUPON_CYCLES, 1)] | None = Field(
        None, description="How many invoices, for repeating"
    )
    plan_codes: list[str] = Field([], description="Only lines of these plans; empty: every line")


class RedeemRequest(Strict):
    code: str = Field(description="The coupon's code", examples=["spring15"])


class CreditNoteCreate(Strict):
    amount: Annotated[StrictInt, AtMost(MAX_INVOICE_AMOUNT, 1)] = Field(
        description="Minor units, tax included; at most what is uncredited"
    )
    reason: str = Field(examples=["Service outage on Feb 3"])


# -- tax rates and coupons --------------------------------------------------------------------


class TaxRateOut(BaseModel):
    object: str = "tax_rate"
    id: str
    name: str
    percent: str
    inclusive: bool
    country: str | None
    region: str | None

    @classmethod
    def of(cls, rate: TaxRate) -> TaxRateOut:
        return cls.model_validate({**rate.__dict__, "percent": percent_text(rate.percent)})


class AccountTaxRateOut(BaseModel):
    object: str = "account_tax_rate"
    account_id: str
    tax_rate: TaxRateOut | None = Field(description="null: the rate of the invoice address")


class CouponOut(BaseModel):
    object: str = "coupon"
    id: str
    code: str
    name: str
    kind: str
    percent: str | None = Field(description="For kind percent")
    amounts: dict[str, int]
    amounts_formatted: dict[str, str]
    duration: str
    cycles: int | None
    plan_codes: list[str]
    archived_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, coupon: Coupon) -> CouponOut:
        percent = coupon.kind is DiscountKind.PERCENT
        return cls.model_validate(
            {
                **coupon.__dict__,
                "kind": coupon.kind.value,
                "duration": coupon.duration.value,
                "percent": percent_text(coupon.percent) if percent else None,
                "amounts": dict(coupon.amounts),
                "amounts_formatted": {c: money(a, c) for c, a in coupon.amounts.items()},
                "plan_codes": sorted(coupon.plan_codes),
            }
        )


class RedemptionOut(BaseModel):
    object: str = "coupon_redemption"
    id: str
    subscription_id: str
    invoices_used: int = Field(description="Finalized invoices it has discounted")
    coupon: CouponOut

    @classmethod
    def of(cls, redemption: Redemption) -> RedemptionOut:
        return cls.model_validate(
            {**redemption.__dict__, "coupon": CouponOut.of(redemption.coupon)}
        )


# -- invoices ---------------------------------------------------------------------------------


class LineOut(BaseModel):
    kind: str = Field(description="recurring, credit, charge, accrual or one_off")
    description: str
    quantity: int
    unit_amount: int
    amount: int = Field(description="Before discount and exclusive tax; credits are negative")
    amount_formatted: str
    discount: int
    tax_rate_id: str | None
    tax: int = Field(description="Exclusive: added; inclusive: the part of the net that is tax")
    total: int = Field(description="What the line adds to the invoice")
    total_formatted: str
    period_start: date | None
    period_end: date | None = Field(description="The first day after the period")
    source_id: str | None = Field(description="The subscription item; null when upcoming")
    plan_id: str | None = Field(description=PLAN_HELP)
    subscription_id: str | None = Field(description="The subscription whose item it bills")
    cycle: str | None = Field(description=CYCLE_HELP, examples=["month"])
    days: int | None = Field(description=DAYS_HELP)
    period_days: int | None = Field(description=PERIOD_DAYS_HELP)

    @classmethod
    def of(cls, line: InvoiceLine, currency: str, locale: str, *, stored: bool) -> LineOut:
        return cls.model_validate(
            {
                **line.__dict__,
                "kind": line.kind.value,
                "amount_formatted": money(line.amount, currency, locale),
                "total_formatted": money(line.total, currency, locale),
                "source_id": line.source_id if stored else None,
            }
        )


class TaxSummaryOut(BaseModel):
    tax_rate_id: str
    name: str
    percent: str
    inclusive: bool
    taxable: int = Field(description="The taxed lines' nets, the tax itself excluded")
    taxable_formatted: str
    tax: int
    tax_formatted: str

    @classmethod
    def of(cls, row: TaxSummary, currency: str, locale: str) -> TaxSummaryOut:
        return cls.model_validate(
            {
                **row.__dict__,
                "percent": percent_text(row.percent),
                "taxable_formatted": money(row.taxable, currency, locale),
                "tax_formatted": money(row.tax, currency, locale),
            }
        )


class TotalsOut(BaseModel):
    subtotal: int = Field(description="The sum of line amounts")
    subtotal_formatted: str
    discount: int
    discount_formatted: str
    tax: int
    tax_formatted: str
    total: int = Field(description="The sum of line totals")
    total_formatted: str
    credit_applied: int = Field(description="Customer credit used, when finalized")
    credit_applied_formatted: str
    amount_due: int = Field(description="What is still owed")
    amount_due_formatted: str

    @classmethod
    def of(cls, totals: Totals, currency: str, locale: str) -> TotalsOut:
        values = {
            name: getattr(totals, name)
            for name in ("subtotal", "discount", "tax", "total", "credit_applied", "amount_due")
        }
        formatted = {f"{k}_formatted": money(v, currency, locale) for k, v in values.items()}
        return cls.model_validate({**values, **formatted})


class DiscountOut(BaseModel):
    coupon_id: str
    name: str
    kind: str
    percent: str | None
    amount: int | None

    @classmethod
    def of(cls, discount: Discount) -> DiscountOut:
        percent = discount.kind is DiscountKind.PERCENT
        return cls(
            coupon_id=discount.coupon_id,
            name=discount.name,
            kind=discount.kind.value,
            percent=percent_text(discount.percent) if percent else None,
            amount=None if percent else discount.amount,
        )


def _document(
    invoice: Invoice, rates: Mapping[str, TaxRate], locale: str, *, stored: bool
) -> dict[str, Any]:
    """What an invoice and an upcoming invoice show alike: lines, discounts, taxes, totals."""
    currency = invoice.currency
    return {
        "currency": currency,
        "account_id": invoice.account_id,
        "lines": [LineOut.of(li, currency, locale, stored=stored) for li in invoice.lines],
        "discounts": [DiscountOut.of(d) for d in invoice.discounts],
        "tax_summary": [
            TaxSummaryOut.of(row, currency, locale) for row in tax_summary(invoice.lines, rates)
        ],
        "totals": TotalsOut.of(invoice.totals, currency, locale),
    }


def _period(start: date | None, end: date | None) -> PeriodOut | None:
    return PeriodOut(start=start, end=end) if start is not None and end is not None else None


class BuyerOut(BaseModel):
    lines: list[str] = Field(description="Name and invoice address, as invoiced")
    email: str
    tax_id: str | None


class InvoiceOut(BaseModel):
    object: str = "invoice"
    id: str
    number: str | None = Field(description="INV-000001...; given when finalized")
    status: str = Field(description="draft, open, paid, void or uncollectible")
    account_id: str
    subscription_id: str | None
    currency: str
    period: PeriodOut | None = Field(description="The subscription period it bills")
    buyer: BuyerOut
    lines: list[LineOut]
    discounts: list[DiscountOut]
    tax_summary: list[TaxSummaryOut] = Field(description="One row per tax rate")
    totals: TotalsOut
    created_at: datetime
    finalize_after: datetime = Field(description="When the billing run finalizes a draft")
    finalized_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    billing_run_id: str | None = Field(
        description="The billing run that made it; null if made otherwise or before this field"
    )

    @classmethod
    def of(cls, view: InvoiceView) -> InvoiceOut:
        invoice = view.invoice
        return cls.model_validate(
            {
                **invoice.__dict__,
                **_document(invoice, view.rates, view.account.locale, stored=True),
                "status": invoice.status.value,
                "period": _period(invoice.period_start, invoice.period_end),
                "buyer": BuyerOut.model_validate(view.buyer),
            }
        )


class UpcomingInvoiceOut(BaseModel):
    """Seed 004's future invoice: what the billing run will make, so far."""

    object: str = "upcoming_invoice"
    status: str = "upcoming"
    subscription_id: str
    account_id: str
    currency: str
    cut_off: datetime | None = Field(description="When the billing run will finalize it")
    period: PeriodOut | None = Field(description="The period it bills in advance")
    lines: list[LineOut]
    discounts: list[DiscountOut]
    tax_summary: list[TaxSummaryOut]
    totals: TotalsOut = Field(description="Customer credit is applied when it is finalized")

    @classmethod
    def of(
        cls, upcoming: Upcoming, rates: Mapping[str, TaxRate], locale: str
    ) -> UpcomingInvoiceOut:
        return cls.model_validate(
            {
                **_document(upcoming.invoice, rates, locale, stored=False),
                "subscription_id": upcoming.subscription_id,
                "cut_off": upcoming.cut_off,
                "period": _period(upcoming.period_start, upcoming.period_end),
            }
        )


class CreditNoteOut(BaseModel):
    object: str = "credit_note"
    id: str
    number: str = Field(description="CN-000001...")
    invoice_id: str
    reason: str
    amount: int = Field(description="Tax included")
    amount_formatted: str
    tax: int
    tax_formatted: str
    created_at: datetime

    @classmethod
    def of(cls, note: CreditNote, currency: str, locale: str) -> CreditNoteOut:
        return cls.model_validate(
            {
                **note.__dict__,
                "amount_formatted": money(note.amount, currency, locale),
                "tax_formatted": money(note.tax, currency, locale),
            }
        )


# -- billing runs and the ledger --------------------------------------------------------------


class RunErrorOut(BaseModel):
    subscription_id: str | None = None
    invoice_id: str | None = None
    code: str
    message: str


class MadeInvoiceOut(BaseModel):
    object: str = "billing_run_invoice"
    id: str = Field(description="The invoice: GET /v1/invoices/{id}")
    number: str | None = Field(description="null while a draft")
    status: str = Field(description="As it stands now: draft, open, paid, void, uncollectible")
    account_id: str
    subscription_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, made: MadeInvoice) -> MadeInvoiceOut:
        return cls.model_validate(made.__dict__)


class RunInvoicesOut(ListOut[MadeInvoiceOut]):
    """The first invoices a run made, embedded as Stripe embeds a list: the rest are at
    ``url``, from ``next_cursor``."""

    url: str = Field(description="Every invoice the run made, paged: GET this with ?cursor=")


def run_invoices(run_id: str, made: Sequence[MadeInvoice], shown: int) -> RunInvoicesOut:
    """The embedded list from the first ``shown + 1`` invoices of the run (one more says
    whether there are more)."""
    page = list(made[:shown])
    more = len(made) > shown
    return RunInvoicesOut(
        data=[MadeInvoiceOut.of(m) for m in page],
        has_more=more,
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
        url=f"/v1/billing_runs/{run_id}/invoices",
    )


class BillingRunOut(BaseModel):
    object: str = "billing_run"
    id: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None = Field(description="null unless status is finished")
    status: Literal["running", "finished", "failed", "abandoned"] = Field(
        description="failed: an error stopped it; abandoned: its process died, found by "
        "`abandoned_by` (the retry that took over its Idempotency-Key, or a later run once its "
        "lease ran out). The next run bills what it left."
    )
    progress_at: datetime = Field(description="When it last committed work (wall clock)")
    abandoned_by: str | None = Field(description="The run that found it abandoned")
    jobs: int | None = Field(description="Jobs sent to workers; null when run in one process")
    jobs_done: int = Field(description="Jobs the workers finished")
    renewed: int = Field(
        description="Subscriptions that passed at least one period end. Every count is what "
        "was committed, whenever it is read, however the run ended."
    )
    invoiced: int = Field(description="Invoices made")
    finalized: int = Field(description="Invoices finalized (numbered and posted)")
    skipped: int = Field(description="Taken by another worker at the same time")
    errors: list[RunErrorOut] = Field(description="Retried by the next run")
    invoices: RunInvoicesOut = Field(
        description=f"The invoices it made, the first {RUN_INVOICES_SHOWN} (oldest first); "
        "`has_more`: the rest are at `url`"
    )

    @classmethod
    def of(cls, run: RunRecord, made: Sequence[MadeInvoice]) -> BillingRunOut:
        """``made``: the run's first ``RUN_INVOICES_SHOWN + 1`` invoices."""
        invoices = run_invoices(run.id, made, RUN_INVOICES_SHOWN)
        return cls.model_validate(
            {**run.__dict__, "errors": list(run.errors), "invoices": invoices}
        )


class EntryOut(BaseModel):
    account: str = Field(description="receivable, revenue, tax_payable, customer_credit, cash")
    currency: str
    amount: int = Field(description="Debit positive, credit negative")
    amount_formatted: str


class TransactionOut(BaseModel):
    object: str = "ledger_transaction"
    id: str
    account_id: str
    kind: str = Field(description="invoice_finalized, invoice_voided, credit_note, payment")
    reference: str = Field(description="The invoice or credit note it posts")
    at: datetime
    entries: list[EntryOut] = Field(description="They sum to zero per currency")

    @classmethod
    def of(cls, transaction: Transaction, locale: str) -> TransactionOut:
        entries = [
            EntryOut(
                account=e.account.value,
                currency=e.currency,
                amount=e.amount,
                amount_formatted=money(e.amount, e.currency, locale),
            )
            for e in transaction.entries
        ]
        return cls.model_validate({**transaction.__dict__, "entries": entries})
