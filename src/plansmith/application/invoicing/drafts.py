"""Making an invoice from billable items and finalizing it, as pure functions of what was read.

The billing step (billing_step) and the invoice use cases (invoices) both call these: the
step on a snapshot loaded for a whole batch, the use cases on what their unit of work reads.
No function here reads or writes storage; ids are new random ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from plansmith.application.invoicing.ports import Redemption
from plansmith.application.kernel.ids import new_id
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.events import InvoiceFinalized, InvoicePaid, invoice_fields
from plansmith.domain.invoicing.invoice import (
    Discount,
    Invoice,
    InvoiceStatus,
    LineKind,
    TaxRate,
    billed_period,
    check_invoice_transition,
)
from plansmith.domain.invoicing.ledger import Transaction
from plansmith.domain.invoicing.pricing import (
    ChargedLine,
    DraftLine,
    price_lines,
    takes_something,
    totals,
)
from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.kernel.records import changed
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription

INVOICE_PREFIX = "INV-"


def invoice_number(number: int) -> str:
    return f"{INVOICE_PREFIX}{number:06d}"


def billing_key(sub: Subscription) -> str:
    """One invoice per subscription and billing key: "period:<start>" for a period in service
    (its renewal in advance, plus whatever changes since the last invoice left pending),
    "stop:<date>" for what a stop left (a credit). Pending items of a period already invoiced
    wait for the next."""
    if sub.in_service:
        return f"period:{sub.period_start.isoformat()}"
    return f"stop:{(sub.ended_on or sub.period_start).isoformat()}"


def tax_rate_of(
    rates: Sequence[TaxRate], own_rate_id: str | None, address: InvoiceAddress | None
) -> TaxRate | None:
    """The account's own rate, else the rate of its invoice address's region, else country."""
    by_id = {r.id: r for r in rates}
    if own_rate_id is not None and own_rate_id in by_id:
        return by_id[own_rate_id]
    if address is None:
        return None
    in_country = [r for r in rates if r.country == address.country]
    regional = [r for r in in_country if r.region and r.region == address.region]
    national = [r for r in in_country if not r.region]
    found = regional or national
    return found[0] if found else None


def buyer(account: Account, address: InvoiceAddress | None) -> dict[str, object]:
    """Who the invoice is made out to, as it stands now (kept on the invoice)."""
    lines = address.lines() if address is not None else [account.name]
    return {"lines": lines, "email": account.email, "tax_id": account.tax_id}


def draft_lines(
    items: Sequence[tuple[str, BillableItem]], subscription_id: str | None = None
) -> list[DraftLine]:
    """(source id, item) of ``subscription_id`` -> the line before discounts and tax; every
    field carried over."""
    return [
        DraftLine(
            kind=item.kind,
            description=item.description,
            quantity=item.quantity,
            unit_amount=item.unit_amount,
            amount=item.amount,
            period_start=item.period_start,
            period_end=item.period_end,
            source_id=source,
            plan_id=item.plan_id,
            component=item.component,
            cycle=item.cycle,
            days=item.days,
            period_days=item.period_days,
            subscription_id=subscription_id,
            usage=item.usage,
        )
        for source, item in items
    ]


def discounts(
    book: PriceBook, sub: Subscription, redemptions: Sequence[Redemption]
) -> list[tuple[Redemption, Discount]]:
    """The subscription's coupons that still last, as discounts in its currency."""
    found: list[tuple[Redemption, Discount]] = []
    if not redemptions:
        return found
    by_code = {p.code: p.id for p in book.plans.values()}
    for redemption in redemptions:
        coupon = redemption.coupon
        if not coupon.lasts_for(redemption.uses):
            continue
        plan_ids = frozenset(by_code[c] for c in coupon.plan_codes if c in by_code)
        discount = coupon.discount(sub.terms.currency, plan_ids)
        if discount is not None:
            found.append((redemption, discount))
    return found


def credits_from(drafts: Sequence[DraftLine]) -> list[DraftLine]:
    """The credits that reverse an earlier charge (of a part, over dates)."""
    return [
        d
        for d in drafts
        if d.kind is LineKind.CREDIT and d.component is not None and d.period_start is not None
    ]


def reversible(drafts: Sequence[DraftLine], charged: Sequence[ChargedLine]) -> list[ChargedLine]:
    """Of the subscription's invoiced charges, those the drafts' credits may reverse: ending
    after the earliest credit starts (none without a credit)."""
    starts = [d.period_start for d in credits_from(drafts) if d.period_start is not None]
    if not starts:
        return []
    return [c for c in charged if c.period_end > min(starts)]


@dataclass(frozen=True)
class Drafted:
    invoice: Invoice
    redemptions: tuple[str, ...]  # coupon redemptions it used, counted when finalized


@dataclass(frozen=True)
class DraftInputs:
    """What pricing a subscription's draft reads besides its items."""

    account: Account
    redemptions: Sequence[Redemption]
    tax_rate: TaxRate | None
    charged: Sequence[ChargedLine]  # its invoiced charges that a credit may reverse


def draft_invoice(
    sub: Subscription,
    book: PriceBook,
    inputs: DraftInputs,
    items: Sequence[tuple[str, BillableItem]],
    now: datetime,
    grace: timedelta,
    run_id: str | None = None,
) -> Drafted:
    """The invoice the items make, priced with the coupons and tax rate of now; its credits
    mirror the discounts of the charges they reverse. Its period is the span its lines bill
    (a pay-per-day invoice bills the period just ended, a stop invoice its rest)."""
    drafts = draft_lines(items, sub.id)
    # A coupon that finds nothing to take off here is not used up by this invoice.
    used = [
        (r, d) for r, d in discounts(book, sub, inputs.redemptions) if takes_something(d, drafts)
    ]
    charged = reversible(drafts, inputs.charged)
    lines = price_lines(drafts, [d for _r, d in used], inputs.tax_rate, charged)
    period_start, period_end = billed_period(lines)
    invoice = Invoice(
        id=new_id("inv"),
        organization_id=sub.organization_id,
        account_id=sub.account_id,
        subscription_id=sub.id,
        currency=sub.terms.currency,
        status=InvoiceStatus.DRAFT,
        number=None,
        period_start=period_start,
        period_end=period_end,
        lines=tuple(lines),
        totals=totals(lines),
        tax_id=inputs.account.tax_id,
        created_at=now,
        finalize_after=now + grace,
        discounts=tuple(d for _r, d in used),
        billing_run_id=run_id,  # None: made outside a billing run
    )
    return Drafted(invoice, tuple(r.id for r, _d in used))


@dataclass(frozen=True)
class Finalized:
    """A draft finalized: open (or paid by credit), its number still to take."""

    invoice: Invoice  # number None: given when written, in one block for a batch
    posting: Transaction
    redemption_uses: tuple[str, ...]  # redemptions whose coupon it used: a use each


def finalized(
    invoice: Invoice, credit_balance: int, redemptions: Iterable[Redemption], now: datetime
) -> Finalized:
    """Apply what customer credit there is (``credit_balance``: the ledger's customer-credit
    balance, negative when owed to the customer), move it to open, post it."""
    check_invoice_transition(invoice.status, InvoiceStatus.OPEN)  # refuses all but a draft
    with_credit = totals(invoice.lines, -credit_balance)
    # Open, and paid at once when credit settled it (moved twice, in one copy).
    if with_credit.amount_due == 0:
        final = changed(
            invoice,
            totals=with_credit,
            status=InvoiceStatus.PAID,
            finalized_at=now,
            paid_at=now,
        )
    else:
        final = changed(invoice, totals=with_credit, status=InvoiceStatus.OPEN, finalized_at=now)
    used = {d.coupon_id for d in invoice.discounts}
    uses = tuple(r.id for r in redemptions if r.coupon.id in used)
    return Finalized(final, postings.finalized(new_id("txn"), final, now), uses)


def finalized_events(invoice: Invoice, now: datetime) -> list[DomainEvent]:
    """What finalizing ``invoice`` (numbered) publishes: the invoice as it opened, and its
    payment when customer credit settled it at once. The billing step and a finalize on its
    own publish the same."""
    fields = invoice_fields(invoice, now)
    opened = fields.copy()
    opened["status"] = InvoiceStatus.OPEN.value
    events: list[DomainEvent] = [InvoiceFinalized(**opened)]
    if invoice.status is InvoiceStatus.PAID:
        events.append(InvoicePaid(**fields, paid_amount=0))
    return events
