"""Response bodies for the ledger (an account's transactions and their entries) in the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from plansmith.domain.invoicing.ledger import Transaction
from plansmith.entrypoints.api.invoicing.schemas import money


class EntryOut(BaseModel):
    account: str = Field(description="receivable, revenue, tax_payable, customer_credit, cash")
    currency: str
    amount: int = Field(description="Debit positive, credit negative")
    amount_formatted: str


class TransactionOut(BaseModel):
    object: str = "ledger_transaction"
    id: str
    account_id: str
    kind: str = Field(
        description=(
            "invoice_finalized, invoice_voided, credit_note, payment, top_up, "
            "balance_applied, balance_returned, refund, refund_failed, overpayment"
        )
    )
    reference: str = Field(
        description="What it posts: an invoice, credit note or payment (inv_….N: a balance "
        "application on the invoice, or its return)"
    )
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
