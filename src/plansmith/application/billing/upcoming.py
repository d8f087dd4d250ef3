"""The upcoming invoices of one account, read in one unit of work and a fixed number of
statements: the price book from the process's cache, the account with its subscriptions
through UpcomingReads, then the billing step over that snapshot, never written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from plansmith.application.billing import step as billing_step
from plansmith.application.billing.ports import BillingSnapshot
from plansmith.application.billing.run import Upcoming
from plansmith.application.invoicing.drafts import billing_key
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.invoicing.invoice import TaxRate
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription


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
    """For each subscription of the snapshot that will bill something, its next invoice, the
    soonest first (no cut-off: last), then oldest subscription first."""
    result = []
    for sub_id, entry in snapshot.entries.items():
        made = billing_step.upcoming(snapshot, entry, now, grace)
        if made is not None:
            invoice, cut = made
            # Its period is what its lines bill, as on the invoice the run will make.
            result.append(Upcoming(sub_id, invoice, cut, invoice.period_start, invoice.period_end))
    order = {sub_id: n for n, sub_id in enumerate(snapshot.entries)}
    result.sort(key=lambda u: (u.cut_off is None, u.cut_off or now, order[u.subscription_id]))
    return tuple(result)


def upcoming_after_change(
    uow: UnitOfWork,
    organization_id: str,
    account_id: str,
    change: ChangeMade,
    now: datetime,
    grace: timedelta,
) -> tuple[Account, InvoiceAddress | None, BillingSnapshot, Upcoming | None]:
    """Inside the caller's unit of work: the account's snapshot, and the changed
    subscription's next invoice once the previewed ``change`` is made (``upcoming_after``)."""
    account, address, snapshot = account_snapshot(uow, organization_id, account_id)
    sub = change.subscription
    entry = snapshot.entries.get(sub.id)
    extra: frozenset[str] = frozenset()
    if entry is not None:
        key = billing_key(sub)
        # The snapshot reads the keys of subscriptions with pending items only.
        if key not in entry.invoiced_keys and uow.invoices.has_invoice(sub.id, key):
            extra = frozenset({key})
    made = upcoming_after(snapshot, change, now, grace, extra)
    return account, address, snapshot, made


@dataclass(frozen=True)
class ChangeMade:
    """A change previewed, not saved: the subscription and its log after it, its items."""

    subscription: Subscription
    log: Sequence[Span]
    items: Sequence[BillableItem]


def upcoming_after(
    snapshot: BillingSnapshot,
    change: ChangeMade,
    now: datetime,
    grace: timedelta,
    invoiced_keys: frozenset[str] = frozenset(),
) -> Upcoming | None:
    """The subscription's next invoice as the run will make it once a change previewed (not
    saved) is made: its entry with the state after the change and the change's items pending,
    through the billing step that makes the Invoices page's future invoice. None: it bills
    nothing more (or the subscription is not in ``snapshot``)."""
    subscription = change.subscription
    entry = snapshot.entries.get(subscription.id)
    if entry is None:
        return None
    added = tuple((f"preview:{n}", item) for n, item in enumerate(change.items))
    after = replace(
        entry,
        subscription=subscription,
        log=tuple(change.log),
        pending=entry.pending + added,
        invoiced_keys=entry.invoiced_keys | invoiced_keys,
    )
    made = billing_step.upcoming(snapshot, after, now, grace)
    if made is None:
        return None
    invoice, cut = made
    return Upcoming(subscription.id, invoice, cut, invoice.period_start, invoice.period_end)
