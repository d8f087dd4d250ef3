"""The operator console's payment screens as queries: the payments of the organization with
their customers and invoices, the invoices in dunning, the payments of one invoice with what is
left to refund (and how a refund would split between the card and the balance), and the
customer page's payments section. Each reads in one unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.balance import balance_of
from plansmith.application.payments.dunning import policy_of
from plansmith.application.payments.ports import Collection
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.payments.balance import refund_split
from plansmith.domain.payments.dunning import OverdueState, overdue_state
from plansmith.domain.payments.payments import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)

SCHEDULED = "scheduled"


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    account: Account | None
    invoice: Invoice | None
    card: PaymentMethod | None


@dataclass(frozen=True)
class PaymentsPage:
    rows: tuple[PaymentRow, ...]  # newest first
    next_before: tuple[datetime, str] | None  # where "more" starts; None: no more


@dataclass(frozen=True)
class DunnedInvoice:
    """An invoice in dunning: its collection, the invoice, its customer and overdue state."""

    collection: Collection
    invoice: Invoice
    account: Account
    overdue: OverdueState


def _invoices(uow: UnitOfWork, organization_id: str, ids: Sequence[str]) -> dict[str, Invoice]:
    """The invoices of these ids, by id, in one read."""
    return {i.id: i for i in uow.invoices.get_invoices(organization_id, list(dict.fromkeys(ids)))}


def _cards(uow: UnitOfWork, organization_id: str, ids: Sequence[str]) -> dict[str, PaymentMethod]:
    """The cards of these ids (removed or not), by id, in one read."""
    found = uow.payment_methods.get_many(organization_id, list(dict.fromkeys(ids)))
    return {card.id: card for card in found}


def payments_page(
    uow: UnitOfWork,
    organization_id: str,
    *,
    status: str | None,
    kind: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> PaymentsPage:
    """A page of the organization's payments, newest first, with their customers, invoices
    and cards."""
    with uow:
        found = list(
            uow.payments.of_organization(
                organization_id, status=status, kind=kind, before=before, limit=limit + 1
            )
        )
        more = len(found) > limit
        payments = found[:limit]
        accounts: Mapping[str, Account] = uow.accounts.get_many(
            organization_id, {p.account_id for p in payments}
        )
        invoices = _invoices(uow, organization_id, [p.invoice_id for p in payments if p.invoice_id])
        cards = _cards(
            uow, organization_id, [p.payment_method_id for p in payments if p.payment_method_id]
        )
    rows = tuple(
        PaymentRow(
            p,
            accounts.get(p.account_id),
            invoices.get(p.invoice_id) if p.invoice_id else None,
            cards.get(p.payment_method_id) if p.payment_method_id else None,
        )
        for p in payments
    )
    last = payments[-1] if payments else None
    return PaymentsPage(rows, (last.created_at, last.id) if more and last else None)


def dunned_invoices(uow: UnitOfWork, organization_id: str) -> tuple[DunnedInvoice, ...]:
    """Every invoice in dunning (a retry scheduled), the next attempt soonest first."""
    with uow:
        collections = uow.collections.of_organization(organization_id, SCHEDULED)
        return _dunned(uow, organization_id, collections)


def _dunned(
    uow: UnitOfWork,
    organization_id: str,
    collections: Sequence[Collection],
    account: Account | None = None,
) -> tuple[DunnedInvoice, ...]:
    """``account``: the one account the collections are of, read already."""
    if not collections:
        return ()
    policy = policy_of(uow, organization_id)
    invoices = _invoices(uow, organization_id, [c.invoice_id for c in collections])
    accounts: Mapping[str, Account] = (
        {account.id: account}
        if account is not None
        else uow.accounts.get_many(organization_id, {c.account_id for c in collections})
    )
    return tuple(
        DunnedInvoice(
            c, invoices[c.invoice_id], accounts[c.account_id], overdue_state(policy, c.stages_done)
        )
        for c in collections
        if c.invoice_id in invoices and c.account_id in accounts
    )


def dunned_invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> DunnedInvoice:
    """One invoice of the organization with its collection (any state), for "retry now"."""
    with uow:
        invoice = uow.invoices.get_invoice(organization_id, invoice_id)
        collection = uow.collections.get(invoice_id) if invoice is not None else None
        if invoice is None or collection is None or collection.state != SCHEDULED:
            raise NotFound(f"no invoice {invoice_id!r} in dunning", field="invoice_id")
        found = _dunned(uow, organization_id, [collection])
    if not found:
        raise NotFound(f"no invoice {invoice_id!r} in dunning", field="invoice_id")
    return found[0]


@dataclass(frozen=True)
class InvoicePayments:
    """What the invoice page shows of its payments, and what a refund may still be."""

    payments: tuple[Payment, ...]  # oldest first
    cards: Mapping[str, PaymentMethod]
    refundable: int  # what is left to refund: the total less earlier credit notes
    card_paid: int  # what cards paid on it
    card_refunded: int  # what went back to cards already (or is on its way)
    collection: Collection | None

    def split(self, amount: int) -> tuple[int, int]:
        """(to the card, to the balance) of a refund of ``amount``."""
        return refund_split(amount, self.card_paid, self.card_refunded)


def invoice_payments(
    uow: UnitOfWork, organization_id: str, invoice_id: str, *, invoice: Invoice | None = None
) -> InvoicePayments:
    """``invoice``: the invoice, read already (the invoice page has it)."""
    with uow:
        if invoice is None or invoice.id != invoice_id:
            invoice = uow.invoices.get_invoice(organization_id, invoice_id)
        if invoice is None or invoice.organization_id != organization_id:
            raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
        payments = tuple(uow.payments.of_invoice(invoice_id))
        credited = sum(n.amount for n in uow.invoices.credit_notes(invoice_id))
        cards = _cards(
            uow, organization_id, [p.payment_method_id for p in payments if p.payment_method_id]
        )
        collection = uow.collections.get(invoice_id)
    card_paid = sum(
        p.amount
        for p in payments
        if p.kind is PaymentKind.PAYMENT and p.status is PaymentStatus.SUCCEEDED
    )
    card_refunded = sum(
        p.amount
        for p in payments
        if p.kind is PaymentKind.REFUND and p.status is not PaymentStatus.FAILED
    )
    refundable = (
        max(invoice.totals.total, 0) - credited if invoice.status is InvoiceStatus.PAID else 0
    )
    return InvoicePayments(payments, cards, refundable, card_paid, card_refunded, collection)


@dataclass(frozen=True)
class CustomerPayments:
    """A customer's payments page: balance, cards, latest payments, collection method and the
    invoices in dunning with the account's overdue state."""

    account: Account
    balance: int  # in the account's currency
    cards: tuple[PaymentMethod, ...]  # the default first
    payments: tuple[Payment, ...]  # newest first
    collection_method: str
    net_days: int
    dunned: tuple[DunnedInvoice, ...]

    @property
    def overdue_state(self) -> OverdueState:
        """Blocked if any invoice in dunning blocks, else warning if any warns."""
        states = {row.overdue for row in self.dunned}
        for state in (OverdueState.BLOCKED, OverdueState.WARNING):
            if state in states:
                return state
        return OverdueState.NONE


LATEST = 10


def customer_payments(uow: UnitOfWork, organization_id: str, account_id: str) -> CustomerPayments:
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        balance = balance_of(uow, account_id, account.currency)
        held = tuple(uow.payment_methods.of_account(account_id))
        latest = tuple(uow.payments.of_account(account_id, before=None, limit=LATEST))
        method, net_days = uow.collections.method_of(account_id)
        scheduled = [c for c in uow.collections.of_account(account_id) if c.state == SCHEDULED]
        dunned = _dunned(uow, organization_id, scheduled, account)
    return CustomerPayments(account, balance, held, latest, method, net_days, dunned)


def account_balance(uow: UnitOfWork, account: Account) -> int:
    """The prepaid balance of an account already read (the customer page shows it)."""
    with uow:
        return balance_of(uow, account.id, account.currency)
