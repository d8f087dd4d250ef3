"""The portal's payment screens (seed 002 9.10.1 Topup and 9.10.3 Payment history, seed 004
§5 Payment method): what each one shows, read once per page. Builds on
``payments.queries.account_payments`` and adds what a customer reads beside it: the account,
each movement's and payment's invoice (its number), each open invoice's due date and next
retry. Reads only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.balance import PAYABLE
from plansmith.application.payments.dunning import SCHEDULED
from plansmith.application.payments.ports import Collection
from plansmith.application.payments.queries import (
    AccountPayments,
    BalanceMovement,
    account_payments,
)
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.payments.payments import Payment, PaymentMethod

SEND_INVOICE = "send_invoice"


@dataclass(frozen=True)
class Movement:
    """A balance movement with the invoice it concerns, when one does."""

    movement: BalanceMovement
    invoice: Invoice | None


@dataclass(frozen=True)
class Owing:
    """An open invoice: when it is due, when the next attempt to collect it is, and whether
    collecting it has failed (the portal warns the customer while it has)."""

    invoice: Invoice
    due_at: datetime | None
    next_attempt_at: datetime | None  # a retry scheduled by dunning; None: none scheduled
    failed_since: datetime | None = None  # the first failed attempt; None: none failed

    @property
    def failing(self) -> bool:
        return self.failed_since is not None


@dataclass(frozen=True)
class PaymentsScreen:
    account: Account
    payments: AccountPayments
    invoices: Mapping[str, Invoice]  # by id: every finalized invoice of the account
    methods: Mapping[str, PaymentMethod]  # by id: the cards payments name (removed ones too)
    movements: Sequence[Movement]  # newest first
    owing: Mapping[str, Owing]  # by invoice id: what is open and owes money

    @property
    def cards(self) -> Sequence[PaymentMethod]:
        return self.payments.cards

    @property
    def balance(self) -> int:
        return self.payments.balance

    @property
    def currency(self) -> str:
        return self.payments.currency

    def card(self, method_id: str) -> PaymentMethod:
        for card in self.cards:
            if card.id == method_id:
                return card
        raise NotFound(
            f"no payment method {method_id!r} on this account", field="payment_method_id"
        )

    def payable(self, invoice_id: str) -> Invoice:
        """An open invoice of the account that owes money; NotFound for any other."""
        found = self.owing.get(invoice_id)
        if found is None:
            raise NotFound(f"no open invoice {invoice_id!r} on this account", field="invoice_id")
        return found.invoice


def _owing(
    invoices: Sequence[Invoice],
    method: str,
    net_days: int,
    collections: Sequence[Collection],
) -> dict[str, Owing]:
    retries = {c.invoice_id: c.next_attempt_at for c in collections if c.state == SCHEDULED}
    failed = {c.invoice_id: c.first_failure_at for c in collections if c.failures > 0}
    net = net_days if method == SEND_INVOICE else 0
    return {
        i.id: Owing(
            i,
            i.finalized_at + timedelta(days=net) if i.finalized_at is not None else None,
            retries.get(i.id),
            failed.get(i.id),
        )
        for i in invoices
        if i.status in PAYABLE and i.totals.amount_due > 0
    }


def owing_of(uow: UnitOfWork, account_id: str, invoices: Sequence[Invoice]) -> Mapping[str, Owing]:
    """What the invoice pages show beside each open invoice (its due date, its next retry),
    for invoices read already: one statement, none when nothing is owed."""
    if not any(i.status in PAYABLE and i.totals.amount_due > 0 for i in invoices):
        return {}
    with uow:
        return owing_in(uow, account_id, invoices)


def owing_in(uow: UnitOfWork, account_id: str, invoices: Sequence[Invoice]) -> Mapping[str, Owing]:
    """``owing_of`` inside an open unit of work."""
    if not any(i.status in PAYABLE and i.totals.amount_due > 0 for i in invoices):
        return {}
    method, net_days, collections = uow.collections.state_of(account_id)
    return _owing(invoices, method, net_days, collections)


def payments_screen(uow: UnitOfWork, organization_id: str, account_id: str) -> PaymentsScreen:
    """Everything the balance, payment history, payment methods and "pay now" pages show."""
    payments = account_payments(uow, organization_id, account_id)
    with uow:
        invoices = [
            i
            for i in uow.invoices.invoices(
                organization_id, account_id=account_id, status=None, after=None, limit=None
            )
            if i.number is not None
        ]
        named = {p.payment_method_id for p in payments.payments if p.payment_method_id}
        methods: dict[str, PaymentMethod] = {card.id: card for card in payments.cards}
        missing = sorted(named - set(methods))
        for found in uow.payment_methods.get_many(organization_id, missing) if missing else ():
            if found.account_id == account_id:
                methods[found.id] = found
    by_id = {i.id: i for i in invoices}
    owing = _owing(invoices, payments.collection_method, payments.net_days, payments.collections)
    account = payments.account
    return PaymentsScreen(
        account,
        payments,
        by_id,
        methods,
        [Movement(m, _invoice_of(m, by_id, payments.payments)) for m in payments.movements],
        owing,
    )


def _invoice_of(
    movement: BalanceMovement, invoices: Mapping[str, Invoice], payments: Sequence[Payment]
) -> Invoice | None:
    """The invoice a movement concerns, named by its reference: a negative invoice's, a
    credit note's payment, or the balance taken by an invoice or given back by its void
    (``inv_….N``)."""
    if movement.reference in invoices:
        return invoices[movement.reference]
    if movement.kind in ("balance_applied", "balance_returned"):
        return invoices.get(movement.reference.rsplit(".", 1)[0])
    for payment in payments:
        if payment.id == movement.reference and payment.invoice_id:
            return invoices.get(payment.invoice_id)
    return None
    for invoice in invoices.values():
        if invoice.paid_at == movement.at and invoice.totals.credit_applied > 0:
            return invoice
    for payment in payments:
        if payment.created_at == movement.at and payment.invoice_id:
            return invoices.get(payment.invoice_id)
    return None
