"""The ledger transactions an invoice's life posts; each balances by construction.

Finalizing an invoice of total T with tax X, using customer credit C (0 <= C <= max(T, 0)):
    receivable       +(max(T, 0) - C)   what is still owed
    customer_credit  +C + min(T, 0)     credit used (debit); a negative invoice becomes credit
    revenue          -(T - X)           earned, net of tax
    tax_payable      -X                 owed to the tax authority
which sums to zero for any T, X and C. Voiding reverses it; a payment moves receivable to cash;
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


def voided(transaction_id: str, posted: Transaction, at: datetime) -> Transaction:
    """The exact reverse of what finalizing posted."""
    reversed_entries = tuple(type(e)(e.account, e.currency, -e.amount) for e in posted.entries)
    return Transaction(
        transaction_id,
        posted.organization_id,
        posted.account_id,
        "invoice_voided",
        posted.reference,
        reversed_entries,
        at,
    )


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
