"""Double-entry bookkeeping: every money movement is a transaction whose entries sum to zero
in each currency. Entries are signed: debits positive, credits negative.

Accounts, per customer account and currency:
- receivable: what the customer owes (debit when an invoice is finalized, credit when paid);
- revenue: what was earned (credit at finalizing, net of tax);
- tax_payable: tax collected for the authorities (credit at finalizing);
- customer_credit: money the operator owes the customer (credit when a credit note or a
  negative invoice leaves a balance; debit when that credit pays a later invoice);
- cash: money received through a payment gateway (debit when a payment succeeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError


class LedgerAccount(StrEnum):
    RECEIVABLE = "receivable"
    REVENUE = "revenue"
    TAX_PAYABLE = "tax_payable"
    CUSTOMER_CREDIT = "customer_credit"
    CASH = "cash"


class Unbalanced(DomainError):
    code = ec.LEDGER_UNBALANCED


@dataclass(frozen=True)
class Entry:
    account: LedgerAccount
    currency: str
    amount: int  # debit positive, credit negative


@dataclass(frozen=True)
class Transaction:
    id: str
    organization_id: str
    account_id: str  # the customer account
    kind: str  # invoice_finalized, invoice_voided, balance_applied, balance_returned, payment...
    reference: str  # the invoice, credit note or payment id
    entries: tuple[Entry, ...]
    at: datetime

    def __post_init__(self) -> None:
        sums: dict[str, int] = {}
        for entry in self.entries:
            sums[entry.currency] = sums.get(entry.currency, 0) + entry.amount
        off = {c: n for c, n in sums.items() if n}
        if off:
            raise Unbalanced(f"ledger transaction {self.kind} does not balance: {off}")


def entries(*pairs: tuple[LedgerAccount, int], currency: str) -> tuple[Entry, ...]:
    """Entries for one currency, zero amounts left out."""
    return tuple(Entry(account, currency, amount) for account, amount in pairs if amount)


def balance(transactions: Sequence[Transaction], account: LedgerAccount, currency: str) -> int:
    return sum(
        e.amount
        for t in transactions
        for e in t.entries
        if e.account is account and e.currency == currency
    )
