"""Use cases for invoices: bill a subscription's pending items, finalize (number + ledger),
void, record an out-of-band payment, issue a credit note, and show the upcoming invoice.

One invoice per subscription and billing key: "period:<start>" for a period in service (its
renewal in advance, plus whatever changes since the last invoice left pending), "stop:<date>"
for what a stop left (a credit). Pending items of a period already invoiced wait for the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from plansmith.application.billing_ports import Redemption
from plansmith.application.errors import Conflict, NotFound
from plansmith.application.ids import new_id
from plansmith.application.ports import Clock, StoredItem, UnitOfWork
from plansmith.domain import error_codes as ec
from plansmith.domain import postings
from plansmith.domain.accounts import Account
from plansmith.domain.errors import InvalidValue
from plansmith.domain.invoicing import (
    ChargedLine,
    CreditNote,
    Discount,
    DraftLine,
    Invoice,
    InvoiceStatus,
    LineKind,
    TaxRate,
    billed_period,
    credit_note_tax,
    price_lines,
    takes_something,
    totals,
)
from plansmith.domain.ledger import LedgerAccount
from plansmith.domain.subscriptions import BillableItem, PriceBook, Subscription

INVOICE_PREFIX = "INV-"
CREDIT_NOTE_PREFIX = "CN-"


def invoice_number(number: int) -> str:
    return f"{INVOICE_PREFIX}{number:06d}"


def billing_key(sub: Subscription) -> str:
    if sub.in_service:
        return f"period:{sub.period_start.isoformat()}"
    return f"stop:{(sub.ended_on or sub.period_start).isoformat()}"


def tax_rate_for(uow: UnitOfWork, account: Account) -> TaxRate | None:
    """The account's own rate, else the rate of its invoice address's region, else country."""
    rates = {r.id: r for r in uow.tax_rates.tax_rates(account.organization_id)}
    own = uow.tax_rates.account_tax_rate(account.id)
    if own is not None and own in rates:
        return rates[own]
    if account.default_invoice_address_id is None:
        return None
    address = uow.invoice_addresses.get(account.organization_id, account.default_invoice_address_id)
    if address is None:
        return None
    in_country = [r for r in rates.values() if r.country == address.country]
    regional = [r for r in in_country if r.region and r.region == address.region]
    national = [r for r in in_country if not r.region]
    found = regional or national
    return found[0] if found else None


def buyer_of(uow: UnitOfWork, account: Account) -> dict[str, object]:
    """Who the invoice is made out to, as it stands now (kept on the invoice)."""
    lines: list[str] = [account.name]
    if account.default_invoice_address_id is not None:
        address = uow.invoice_addresses.get(
            account.organization_id, account.default_invoice_address_id
        )
        if address is not None:
            lines = address.lines()
    return {"lines": lines, "email": account.email, "tax_id": account.tax_id}


def _line_kind(item: BillableItem) -> LineKind:
    return LineKind(item.kind.value)


def draft_lines(items: Sequence[tuple[str, BillableItem]]) -> list[DraftLine]:
    return [
        DraftLine(
            kind=_line_kind(item),
            description=item.description,
            quantity=item.quantity,
            unit_amount=item.unit_amount,
            amount=item.amount,
            period_start=item.period_start,
            period_end=item.period_end,
            source_id=source,
            plan_id=item.plan_id,
            component=item.component,
        )
        for source, item in items
    ]


def charged_before(
    uow: UnitOfWork, subscription_id: str, drafts: Sequence[DraftLine]
) -> Sequence[ChargedLine]:
    """The invoiced charges the drafts' credits may reverse; no query without a credit."""
    starts = [
        d.period_start
        for d in drafts
        if d.kind is LineKind.CREDIT and d.component is not None and d.period_start is not None
    ]
    if not starts:
        return ()
    found = uow.invoices.charged_lines([subscription_id], min(starts))
    return found.get(subscription_id, ())


def discounts_for(
    uow: UnitOfWork, book: PriceBook, sub: Subscription
) -> list[tuple[Redemption, Discount]]:
    """The subscription's coupons that still last, as discounts in its currency."""
    found = []
    by_code = {p.code: p.id for p in book.plans.values()}
    for redemption in uow.coupons.redemptions(sub.id):
        coupon = redemption.coupon
        if not coupon.lasts_for(redemption.uses):
            continue
        plan_ids = frozenset(by_code[c] for c in coupon.plan_codes if c in by_code)
        discount = coupon.discount(sub.terms.currency, plan_ids)
        if discount is not None:
            found.append((redemption, discount))
    return found


@dataclass(frozen=True)
class Drafted:
    invoice: Invoice
    redemptions: tuple[str, ...]  # coupon redemptions it used, counted when finalized


def draft_for(
    uow: UnitOfWork,
    sub: Subscription,
    account: Account,
    book: PriceBook,
    pending: Sequence[StoredItem],
    now: datetime,
    grace: timedelta,
) -> Drafted:
    """The invoice the pending items make, priced with the coupons and tax rate of now; its
    credits mirror the discounts of the charges they reverse. Its period is the span its
    lines bill (a pay-per-day invoice bills the period just ended, a stop invoice its rest)."""
    drafts = draft_lines([(s.id, s.item) for s in pending])
    # A coupon that finds nothing to take off here is not used up by this invoice.
    used = [(r, d) for r, d in discounts_for(uow, book, sub) if takes_something(d, drafts)]
    rate = tax_rate_for(uow, account)
    charged = charged_before(uow, sub.id, drafts)
    lines = price_lines(drafts, [d for _r, d in used], rate, charged)
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
        tax_id=account.tax_id,
        created_at=now,
        finalize_after=now + grace,
        discounts=tuple(d for _r, d in used),
    )
    return Drafted(invoice, tuple(r.id for r, _d in used))


def _invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    invoice = uow.invoices.get_invoice(organization_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    return invoice


def held_invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    """The invoice, held until the unit of work ends. Every use case that changes an invoice
    or checks a limit on it (the room left to credit, what it owes) reads it this way, so two
    at once run one after the other and the second sees what the first did."""
    invoice = uow.invoices.hold_invoice(organization_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    return invoice


def finalize_in(uow: UnitOfWork, invoice: Invoice, now: datetime) -> Invoice:
    """Inside an open unit of work: number it, apply customer credit, post it."""
    invoice.moved(InvoiceStatus.OPEN, now)  # refuses anything but a draft, clearly
    uow.ledger.hold_credit(invoice.account_id)  # another finalize must not use it as well
    owed_to_customer = -uow.ledger.ledger_balance(
        invoice.account_id, LedgerAccount.CUSTOMER_CREDIT, invoice.currency
    )
    with_credit = totals(invoice.lines, owed_to_customer)
    number = uow.invoices.next_number(invoice.organization_id, "invoice")
    final = replace(invoice, totals=with_credit, number=invoice_number(number))
    final = final.moved(InvoiceStatus.OPEN, now)
    if with_credit.amount_due == 0:
        final = final.moved(InvoiceStatus.PAID, now)
    uow.invoices.update_invoice(final, expected_status=InvoiceStatus.DRAFT.value)
    uow.ledger.post(postings.finalized(new_id("txn"), final, now))
    if invoice.subscription_id is not None:
        used = {d.coupon_id for d in invoice.discounts}
        for redemption in uow.coupons.redemptions(invoice.subscription_id):
            if redemption.coupon.id in used:
                uow.coupons.count_redemption_use(redemption.id)
    return final


def finalize_invoice(
    uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str
) -> Invoice:
    """Finalize a draft now, without waiting for its grace period."""
    with uow:
        final = finalize_in(uow, held_invoice(uow, organization_id, invoice_id), clock.now())
        uow.commit()
    return final


def void_invoice(uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str) -> Invoice:
    """A draft is discarded; an open or uncollectible one is reversed in the ledger."""
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        voided = invoice.moved(InvoiceStatus.VOID, now)
        if uow.invoices.credit_notes(invoice.id):
            raise Conflict(
                "this invoice has credit notes; credit what is left instead of voiding it",
                field="invoice_id",
                code=ec.HAS_CREDIT_NOTES,
            )
        uow.invoices.update_invoice(voided, expected_status=invoice.status.value)
        posted = uow.ledger.posted("invoice_finalized", invoice.id)
        if posted is not None:
            uow.ledger.post(postings.voided(new_id("txn"), posted, now))
        uow.commit()
    return voided


def mark_uncollectible(
    uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str
) -> Invoice:
    """Stop expecting an open invoice to be paid. Nothing is posted: what it owes stays a
    receivable (it may still be paid, or voided) until the operator's own books write it off."""
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        written_off = invoice.moved(InvoiceStatus.UNCOLLECTIBLE, clock.now())
        uow.invoices.update_invoice(written_off, expected_status=invoice.status.value)
        uow.commit()
    return written_off


def mark_paid(uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str) -> Invoice:
    """Record that what the invoice still owes was paid outside plansmith (a bank transfer)."""
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        paid = invoice.moved(InvoiceStatus.PAID, now)
        due = invoice.totals.amount_due
        paid = replace(paid, totals=replace(paid.totals, amount_due=0))
        uow.invoices.update_invoice(paid, expected_status=invoice.status.value)
        if due > 0:
            uow.ledger.post(postings.paid(new_id("txn"), invoice, due, now))
        uow.commit()
    return paid


def issue_credit_note(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    amount: int,
    reason: str,
) -> CreditNote:
    """Credit part or all of a finalized invoice: what it still owes goes down first, the
    rest becomes customer credit, used by the next invoices first."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidValue(
            "a credit note is a positive whole number of minor units", field="amount"
        )
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidValue("say why the invoice is credited", field="reason", code=ec.REQUIRED)
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
            raise Conflict(
                f"a {invoice.status} invoice cannot be credited; only open or paid ones",
                field="invoice_id",
                code=ec.NOT_CREDITABLE,
            )
        credited = sum(n.amount for n in uow.invoices.credit_notes(invoice.id))
        room = max(invoice.totals.total, 0) - credited
        if amount > room:
            raise InvalidValue(
                f"at most {room} minor units of this invoice are left to credit",
                field="amount",
                code=ec.CREDIT_TOO_LARGE,
            )
        number = uow.invoices.next_number(organization_id, "credit_note")
        tax = credit_note_tax(invoice, amount)
        note = CreditNote(
            new_id("cn"),
            organization_id,
            invoice.id,
            f"{CREDIT_NOTE_PREFIX}{number:06d}",
            reason.strip(),
            amount,
            tax,
            now,
        )
        owed = invoice.totals.amount_due if invoice.status is InvoiceStatus.OPEN else 0
        uow.invoices.add_credit_note(note)
        uow.ledger.post(
            postings.credit_note(new_id("txn"), invoice, note.id, amount, tax, owed, now)
        )
        left = owed - min(amount, owed)
        if invoice.status is InvoiceStatus.OPEN:
            reduced = replace(invoice, totals=replace(invoice.totals, amount_due=left))
            if left == 0:
                reduced = reduced.moved(InvoiceStatus.PAID, now)
            uow.invoices.update_invoice(reduced, expected_status=invoice.status.value)
        uow.commit()
    return note


def get_invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    with uow:
        return _invoice(uow, organization_id, invoice_id)
