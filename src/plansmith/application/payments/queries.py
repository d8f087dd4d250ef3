"""What the payment screens and API read: an account's payments, cards, balance and its
movements, collections with their next retry, the dunning policy in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.dunning import policy_of
from plansmith.application.payments.ports import Collection
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.payments.dunning import DunningPolicy, overdue_state
from plansmith.domain.payments.payments import Payment, PaymentMethod


@dataclass(frozen=True)
class BalanceMovement:
    at: datetime
    kind: str  # top_up, credit_note, invoice_finalized (a negative invoice or one it paid)...
    reference: str  # the payment, credit note or invoice
    amount: int  # + onto the balance, - taken from it


@dataclass(frozen=True)
class AccountPayments:
    account: Account
    currency: str
    balance: int
    cards: Sequence[PaymentMethod]
    payments: Sequence[Payment]  # newest first
    movements: Sequence[BalanceMovement]  # newest first
    collections: Sequence[Collection]
    overdue_state: str  # "", warning, blocked
    collection_method: str
    net_days: int


def account_payments(
    uow: UnitOfWork, organization_id: str, account_id: str, *, limit: int = 100
) -> AccountPayments:
    """Everything the portal's payment screens and the console's customer page show, in one
    transaction."""
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        currency = account.currency
        movements = _movements(uow, account)
        method, net_days, collections = uow.collections.state_of(account_id)
        unpaid = [c for c in collections if c.state in ("scheduled", "exhausted")]
        # The policy says what the stages applied mean; read only when something is unpaid.
        policy = policy_of(uow, organization_id) if unpaid else None
        states = [overdue_state(policy, c.stages_done) for c in unpaid] if policy else []
        state = "blocked" if "blocked" in states else ("warning" if "warning" in states else "")
        return AccountPayments(
            account,
            currency,
            sum(m.amount for m in movements),  # the balance: what its movements add up to
            uow.payment_methods.of_account(account_id),
            uow.payments.of_account(account_id, before=None, limit=limit),
            list(reversed(movements)),
            collections,
            state,
            method,
            net_days,
        )


def _movements(uow: UnitOfWork, account: Account) -> list[BalanceMovement]:
    """The account's balance movements in its currency, oldest first (the customer_credit
    account, sign turned): the balance is their sum."""
    return [
        BalanceMovement(t.at, t.kind, t.reference, -e.amount)
        for t in uow.ledger.transactions(account.organization_id, account.id)
        for e in t.entries
        if e.account is LedgerAccount.CUSTOMER_CREDIT and e.currency == account.currency
    ]


def account_balance(
    uow: UnitOfWork, organization_id: str, account_id: str
) -> tuple[str, int, list[BalanceMovement]]:
    """(currency, balance, movements newest first) of an account, in two reads."""
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        movements = _movements(uow, account)
    return account.currency, sum(m.amount for m in movements), list(reversed(movements))


def payments_of_organization(
    uow: UnitOfWork,
    organization_id: str,
    *,
    account_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    before: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> Sequence[Payment]:
    with uow:
        return uow.payments.of_organization(
            organization_id,
            account_id=account_id,
            status=status,
            kind=kind,
            before=before,
            limit=limit,
        )


def get_payment(uow: UnitOfWork, organization_id: str, payment_id: str) -> Payment:
    with uow:
        payment = uow.payments.get(organization_id, payment_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id!r}", field="payment_id")
    return payment


def failing_collections(uow: UnitOfWork, organization_id: str) -> Sequence[Collection]:
    """Invoices in dunning, the next attempt soonest first."""
    with uow:
        return uow.collections.of_organization(organization_id, "scheduled")


def dunning_policy(uow: UnitOfWork, organization_id: str) -> DunningPolicy:
    with uow:
        return policy_of(uow, organization_id)
