"""Response bodies for invoices and the upcoming invoice in the API: lines, tax summary, totals,
discounts and the buyer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from plansmith.application.billing.run import Upcoming
from plansmith.application.screens.invoices import InvoiceView
from plansmith.domain.invoicing.invoice import (
    Discount,
    DiscountKind,
    Invoice,
    InvoiceLine,
    TaxRate,
    TaxSummary,
    Totals,
)
from plansmith.domain.invoicing.pricing import tax_summary
from plansmith.domain.organizations.branding import Seller
from plansmith.entrypoints.api.invoicing.schemas import money, percent_text
from plansmith.entrypoints.api.organizations.settings_routes import SellerAddressOut
from plansmith.entrypoints.api.subscriptions.result_schemas import (
    CYCLE_HELP,
    DAYS_HELP,
    PERIOD_DAYS_HELP,
    PLAN_HELP,
)
from plansmith.entrypoints.api.subscriptions.schemas import PeriodOut


class LineUsageOut(BaseModel):
    """What a usage line measured; exact decimals as text (a sum meter may give 2.5)."""

    meter: str
    quantity: str = Field(description="The meter's value over the line's period")
    allowance: int = Field(description="The period's allowance: prorated, with pack units")
    billable_quantity: str = Field(description="quantity less allowance, never below 0")


class LineOut(BaseModel):
    kind: str = Field(description="recurring, credit, charge, accrual, one_off, usage or pack")
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
    usage: LineUsageOut | None = Field(default=None, description="Usage lines only")

    @classmethod
    def of(cls, line: InvoiceLine, currency: str, locale: str, *, stored: bool) -> LineOut:
        return cls.model_validate(
            {
                **line.__dict__,
                "kind": line.kind.value,
                "amount_formatted": money(line.amount, currency, locale),
                "total_formatted": money(line.total, currency, locale),
                "source_id": line.source_id if stored else None,
                "usage": line.usage.to_data() if line.usage is not None else None,
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


class SellerOut(BaseModel):
    name: str
    address: SellerAddressOut | None
    tax_id: str = Field(description="Empty when none is set")

    @classmethod
    def of(cls, seller: Seller) -> SellerOut:
        a = seller.address
        address = (
            SellerAddressOut(
                lines=list(a.lines), city=a.city, postal_code=a.postal_code, country=a.country
            )
            if a is not None
            else None
        )
        return cls(name=seller.name, address=address, tax_id=seller.tax_id)


class InvoiceOut(BaseModel):
    object: str = "invoice"
    id: str
    number: str | None = Field(description="INV-000001...; given when finalized")
    status: str = Field(description="draft, open, paid, void or uncollectible")
    account_id: str
    subscription_id: str | None
    currency: str
    period: PeriodOut | None = Field(description="The subscription period it bills")
    seller: SellerOut = Field(
        description="As it was when the invoice was finalized; a draft's: the current settings"
    )
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
                "seller": SellerOut.of(view.seller),
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
