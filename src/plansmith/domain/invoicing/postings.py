"""The ledger transactions an invoice's life posts; each balances by construction.

Finalizing an invoice of total T with tax X, using customer credit C (0 <= C <= max(T, 0)):
    receivable       +(max(T, 0) - C)   what is still owed
    customer_credit  +C + min(T, 0)     credit used (debit); a negative invoice becomes credit
    revenue          -(T - X)           earned, net of tax
    tax_payable      -X                 owed to the tax authority
which sums to zero for any T, X and C. Voiding reverses it, and every later balance application
(balance_returned); a payment moves receivable to cash;
a credit note reverses revenue and tax and reduces what is owed, the rest becoming credit.
"""

from __future__ import annotations

from datetime import datetime

from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import LedgerAccount, Transaction, entries
from plansmith.domain.kernel.errors import InvalidValue

A = LedgerAccount


def finalized(transaction_id: str, invoice: Invoice, at: datetime) -> Transaction:
    t = invoice.totals
    return Transaction(
        transaction_id,
        invoice.organization_id,
        invoice.account_id,
        "invoice_finalized",
        invoice.id,
        entries(
            (A.RECEIVABLE, max(t.total, 0) - t.credit_applied),
            (A.CUSTOMER_CREDIT, t.credit_applied + min(t.total, 0)),
            (A.REVENUE, -(t.total - t.tax)),
            (A.TAX_PAYABLE, -t.tax),
            currency=invoice.currency,
        ),
        at,
    )


def _reverse(transaction_id: str, kind: str, posted: Transaction, at: datetime) -> Transaction:
    reversed_entries = tuple(type(e)(e.account, e.currency, -e.amount) for e in posted.entries)
    return Transaction(
        transaction_id,
        posted.organization_id,
        posted.account_id,
        kind,
        posted.reference,
        reversed_entries,
        at,
    )


def voided(transaction_id: str, posted: Transaction, at: datetime) -> Transaction:
    """The exact reverse of what finalizing posted."""
    return _reverse(transaction_id, "invoice_voided", posted, at)


def balance_returned(transaction_id: str, applied: Transaction, at: datetime) -> Transaction:
    """The exact reverse of a ``balance_applied`` posting (same reference, ``inv_….N``): an
    invoice voided gives back to the balance what the balance paid on it."""
    if applied.kind != "balance_applied":
        raise InvalidValue("only a balance application is returned", field="kind")
    return _reverse(transaction_id, "balance_returned", applied, at)


def paid(transaction_id: str, invoice: Invoice, amount: int, at: datetime) -> Transaction:
    if amount <= 0:
        raise InvalidValue("a payment is a positive amount", field="amount")
    return Transaction(
        transaction_id,
        invoice.organization_id,
        invoice.account_id,
        "payment",
        invoice.id,
        entries((A.CASH, amount), (A.RECEIVABLE, -amount), currency=invoice.currency),
        at,
    )


def credit_note(
    transaction_id: str,
    invoice: Invoice,
    credit_note_id: str,
    amount: int,
    tax: int,
    still_owed: int,
    at: datetime,
) -> Transaction:
    """A credit note of ``amount`` (tax included) against an invoice: revenue and tax go back;
    what the invoice still owes is reduced first, the rest becomes customer credit."""
    if amount <= 0 or not 0 <= tax <= amount:
        raise InvalidValue("a credit note is a positive amount with its tax inside", field="amount")
    against_owed = min(amount, max(still_owed, 0))
    return Transaction(
        transaction_id,
        invoice.organization_id,
        invoice.account_id,
        "credit_note",
        credit_note_id,
        entries(
            (A.REVENUE, amount - tax),
            (A.TAX_PAYABLE, tax),
            (A.RECEIVABLE, -against_owed),
            (A.CUSTOMER_CREDIT, -(amount - against_owed)),
            currency=invoice.currency,
        ),
        at,
    )


# -- the prepaid balance (the customer_credit account: negative is what the customer holds) --


def _transaction(
    transaction_id: str,
    organization_id: str,
    account_id: str,
    kind: str,
    reference: str,
    pairs: tuple[tuple[LedgerAccount, int], ...],
    currency: str,
    at: datetime,
) -> Transaction:
    return Transaction(
        transaction_id,
        organization_id,
        account_id,
        kind,
        reference,
        entries(*pairs, currency=currency),
        at,
    )


def topped_up(
    transaction_id: str,
    organization_id: str,
    account_id: str,
    payment_id: str,
    amount: int,
    currency: str,
    at: datetime,
    *,
    kind: str = "top_up",
) -> Transaction:
    """Money received onto the balance: a top-up, or a charge that found nothing left to pay
    (``kind`` overpayment) — kept for the customer, never lost."""
    if amount <= 0:
        raise InvalidValue("a top-up is a positive amount", field="amount")
    pairs = ((A.CASH, amount), (A.CUSTOMER_CREDIT, -amount))
    return _transaction(
        transaction_id, organization_id, account_id, kind, payment_id, pairs, currency, at
    )


def balance_applied(
    transaction_id: str, invoice: Invoice, reference: str, amount: int, at: datetime
) -> Transaction:
    """Part of the balance pays what an open invoice owes."""
    if amount <= 0:
        raise InvalidValue("a balance application is a positive amount", field="amount")
    pairs = ((A.CUSTOMER_CREDIT, amount), (A.RECEIVABLE, -amount))
    return _transaction(
        transaction_id,
        invoice.organization_id,
        invoice.account_id,
        "balance_applied",
        reference,
        pairs,
        invoice.currency,
        at,
    )


def refunded_to_card(
    transaction_id: str, invoice: Invoice, refund_id: str, amount: int, at: datetime
) -> Transaction:
    """A refund's card part leaves: out of what the credit note gave the balance, to cash."""
    if amount <= 0:
        raise InvalidValue("a refund is a positive amount", field="amount")
    pairs = ((A.CUSTOMER_CREDIT, amount), (A.CASH, -amount))
    return _transaction(
        transaction_id,
        invoice.organization_id,
        invoice.account_id,
        "refund",
        refund_id,
        pairs,
        invoice.currency,
        at,
    )


def refund_returned(
    transaction_id: str, invoice: Invoice, refund_id: str, amount: int, at: datetime
) -> Transaction:
    """The gateway refused a refund: its card part goes back onto the balance."""
    pairs = ((A.CASH, amount), (A.CUSTOMER_CREDIT, -amount))
    return _transaction(
        transaction_id,
        invoice.organization_id,
        invoice.account_id,
        "refund_failed",
        refund_id,
        pairs,
        invoice.currency,
        at,
    )
