"""The prepaid balance inside a unit of work: what it holds, an invoice taking it, a credit
spread over open invoices. Every caller holds the invoice (if any) first, then the account
(``hold_credit``), the order every writer of money takes rows in."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from plansmith.application.invoicing.invoices import balance_applications, open_owing
from plansmith.application.invoicing.made_order import made_order
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments import dunning
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.events import InvoicePaid, invoice_fields
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.payments.balance import spread

PAYABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE})


def balance_of(uow: UnitOfWork, account_id: str, currency: str) -> int:
    """What the account holds in ``currency`` (the customer_credit account, sign turned)."""
    return -uow.ledger.ledger_balance(account_id, LedgerAccount.CUSTOMER_CREDIT, currency)


def paid_by(uow: UnitOfWork, invoice: Invoice, amount: int, now: datetime) -> Invoice:
    """``amount`` of what ``invoice`` owes was just paid (posted by the caller): the invoice
    with what it owes now, paid (and published) when nothing is left."""
    left = invoice.totals.amount_due - amount
    after = replace(invoice, totals=replace(invoice.totals, amount_due=left))
    if left == 0:
        after = after.moved(InvoiceStatus.PAID, now)
    uow.invoices.update_invoice(after, expected_status=invoice.status.value)
    if left == 0:
        uow.publish([InvoicePaid(**invoice_fields(after, now), paid_amount=amount)])
    return after


def applied_reference(uow: UnitOfWork, invoice: Invoice) -> str:
    """The next balance application's reference on ``invoice``: its id and a count
    (``inv_….2``), so a balance movement names the invoice it paid. The caller holds the
    invoice, so the count is not taken twice."""
    return f"{invoice.id}.{len(balance_applications(uow, invoice.id)) + 1}"


def take_balance(
    uow: UnitOfWork, invoice: Invoice, now: datetime, most: int | None = None
) -> Invoice:
    """The invoice (held by the caller) takes what it can of the balance, at most ``most``."""
    uow.ledger.hold_credit(invoice.account_id)
    due = invoice.totals.amount_due
    if invoice.status not in PAYABLE or due <= 0:
        return invoice
    take = min(balance_of(uow, invoice.account_id, invoice.currency), due)
    if most is not None:
        take = min(take, most)
    if take <= 0:
        return invoice
    uow.ledger.post(
        postings.balance_applied(new_id("txn"), invoice, applied_reference(uow, invoice), take, now)
    )
    with_credit = replace(
        invoice, totals=replace(invoice.totals, credit_applied=invoice.totals.credit_applied + take)
    )
    return paid_by(uow, with_credit, take, now)


def spread_credit(
    uow: UnitOfWork, organization_id: str, account_id: str, currency: str, now: datetime
) -> list[Invoice]:
    """A credit reached the balance (committed): it pays the account's open invoices, oldest
    first (by when made, then by subscription and number: ADR 0037); what is left stays on
    the balance. Its own transaction, holding the invoices in id order and then the account,
    so it never waits in a circle with a payment (one invoice, then the account). A crash
    before it leaves the credit on the balance, which the next collection of those invoices
    takes first anyway. The invoices it paid, as they are now."""
    with uow:
        owing = open_owing(uow, organization_id, account_id, currency)
        if not owing:
            return []
        oldest_first = [i.id for i in sorted(owing, key=made_order(uow, owing))]
        held = {}
        for invoice_id in sorted(oldest_first):
            invoice = uow.invoices.hold_invoice(organization_id, invoice_id)
            if invoice is not None:
                held[invoice_id] = invoice
        uow.ledger.hold_credit(account_id)
        available = balance_of(uow, account_id, currency)
        order = [(i, held[i].totals.amount_due) for i in oldest_first if i in held]
        touched = [
            take_balance(uow, held[invoice_id], now, most=share)
            for invoice_id, share in spread(available, order)
        ]
        for invoice in touched:
            if invoice.totals.amount_due == 0:  # paid off: its dunning ends, its sub recovers
                dunning.paid_up(uow, invoice, now)
        uow.commit()
    return touched


def spread_waiting_credits(uow: UnitOfWork, organization_id: str | None, now: datetime) -> int:
    """Spread every credit waiting on a balance over the same account's open invoices (a
    cancellation's negative invoice, billed by the billing run, leaves its credit on the
    balance): each account and currency in its own transaction. How many were spread."""
    with uow:
        waiting = uow.collections.credits_waiting(organization_id)
    for org, account_id, currency in waiting:
        spread_credit(uow, org, account_id, currency, now)
    return len(waiting)
