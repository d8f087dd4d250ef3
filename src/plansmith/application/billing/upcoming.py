"""The upcoming invoices of one account, read in one unit of work and a fixed number of
statements: the price book from the process's cache, the account with its subscriptions
through UpcomingReads, then the billing step over that snapshot, never written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from plansmith.application.billing import step as billing_step
from plansmith.application.billing.ports import BillingSnapshot
from plansmith.application.billing.run import Upcoming
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.invoicing.invoice import TaxRate


@dataclass(frozen=True)
class AccountUpcoming:
    account: Account
    upcoming: tuple[Upcoming, ...]  # per subscription that will bill something, oldest first
    tax_rates: tuple[TaxRate, ...]  # the organization's, as read with them


def account_upcoming(
    uow: UnitOfWork, clock: Clock, organization_id: str, account_id: str, grace: timedelta
) -> AccountUpcoming:
    """For each of the account's subscriptions, the next invoice as the run would make it."""
    with uow:
        account, _address, snapshot = account_snapshot(uow, organization_id, account_id)
    return AccountUpcoming(account, upcoming_of(snapshot, clock.now(), grace), snapshot.tax_rates)


def account_snapshot(
    uow: UnitOfWork, organization_id: str, account_id: str
) -> tuple[Account, InvoiceAddress | None, BillingSnapshot]:
    """Inside the caller's unit of work: the account, its default address, its snapshot."""
    book = uow.price_books.current(organization_id)
    moves = uow.price_books.moves(organization_id)
    found = uow.upcoming_reads.account_snapshot(organization_id, account_id, book, moves)
    if found is None:
        raise NotFound(f"no account {account_id!r}", field="account_id")
    return found


def upcoming_of(snapshot: BillingSnapshot, now: datetime, grace: timedelta) -> tuple[Upcoming, ...]:
    """For each subscription of the snapshot that will bill something, its next invoice."""
    result = []
    for sub_id, entry in snapshot.entries.items():
        made = billing_step.upcoming(snapshot, entry, now, grace)
        if made is not None:
            invoice, cut = made
            # Its period is what its lines bill, as on the invoice the run will make.
            result.append(Upcoming(sub_id, invoice, cut, invoice.period_start, invoice.period_end))
    return tuple(result)
