"""The billing run: every subscription that is due or has pending items is renewed and
invoiced, exactly once; drafts past their grace period are finalized.

Each subscription is one transaction: catch up with its period ends, put its pending items on
a draft for its billing key, and (without a grace period) finalize it. Running twice creates
nothing new; two workers on one subscription collide on the revision check or on the unique
(subscription, billing key) and the loser skips it; a crash loses nothing, since nothing of a
subscription is written unless all of it is. The upcoming invoice is the same computation on
the state the next period end will find, saved nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from plansmith.application.billing_ports import RunRecord
from plansmith.application.errors import Conflict, NotFound
from plansmith.application.ids import new_id
from plansmith.application.invoices import billing_key, buyer_of, draft_for, finalize_in
from plansmith.application.ports import Clock, StoredItem, UnitOfWork
from plansmith.application.subscriptions import (
    SYSTEM,
    price_book,
    renewal_moves,
    run,
    subscription_of,
)
from plansmith.domain.errors import DomainError
from plansmith.domain.invoicing import Invoice, InvoiceStatus
from plansmith.domain.periods import local_midnight, zone


@dataclass(frozen=True)
class Billed:
    renewed: bool  # it passed at least one period end
    invoice: Invoice | None  # None: nothing pending, or its period is invoiced already


def invoice_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    grace: timedelta,
) -> Billed:
    """Renew what is due and invoice what is pending, in one transaction."""
    now = clock.now()
    with uow:
        sub = subscription_of(uow, organization_id, subscription_id)
        book = price_book(uow, organization_id)
        moves = renewal_moves(uow, book, list(book.plans))
        caught_up = run(uow, sub, book, moves, None, SYSTEM, now)
        current = caught_up.view.subscription
        key = billing_key(current)
        pending = list(uow.subscriptions.items(sub.id, pending_only=True))
        if not pending or uow.billing.has_invoice(sub.id, key):
            if caught_up.applied:
                uow.commit()
            return Billed(caught_up.applied, None)
        account = uow.accounts.get(organization_id, sub.account_id)
        assert account is not None  # a foreign key guarantees it
        drafted = draft_for(uow, current, account, book, pending, now, grace)
        invoice = drafted.invoice
        uow.billing.add_invoice(invoice, key, buyer_of(uow, account))
        uow.billing.take_items(invoice.id, [s.id for s in pending])
        if grace <= timedelta(0):
            invoice = finalize_in(uow, invoice, now)
        uow.commit()
        return Billed(caught_up.applied, invoice)


@dataclass
class _Counts:
    renewed: int = 0
    invoiced: int = 0
    finalized: int = 0
    skipped: int = 0


def _keyset(
    uow: UnitOfWork, organization_id: str | None, as_of: datetime, batch: int
) -> Iterator[tuple[str, str]]:
    """Each subscription that is due or has pending items, once, in a stable order."""
    seen: set[str] = set()
    after_due: tuple[datetime, str] | None = None
    while True:
        with uow:
            due = list(uow.subscriptions.due(organization_id, as_of, batch, after_due))
        if not due:
            break
        for org, sub_id, due_at in due:
            after_due = (due_at, sub_id)
            seen.add(sub_id)
            yield org, sub_id
    after_pending: str | None = None
    while True:
        with uow:
            pending = list(uow.billing.with_pending_items(organization_id, batch, after_pending))
        if not pending:
            break
        for org, sub_id in pending:
            after_pending = sub_id
            if sub_id not in seen:
                yield org, sub_id


def run_billing(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str | None,
    *,
    grace: timedelta,
    batch: int = 200,
    on_progress: Callable[[str], None] | None = None,
) -> RunRecord:
    """One billing run as of now, recorded with its counts and errors. ``on_progress`` is
    told each subscription (and each draft finalized) as it is done, e.g. for a progress bar."""
    as_of = clock.now()
    record = RunRecord(new_id("run"), organization_id, as_of, as_of, None, 0, 0, 0, 0, ())
    with uow:
        uow.billing.add_run(record)
        uow.commit()
    counts = _Counts()
    errors: list[dict[str, str]] = []
    for org, sub_id in _keyset(uow, organization_id, as_of, batch):
        try:
            billed = invoice_subscription(uow, clock, org, sub_id, grace)
        except Conflict:
            counts.skipped += 1  # another worker had it; the next run finds it done
            continue
        except DomainError as exc:
            errors.append({"subscription_id": sub_id, "code": exc.code, "message": exc.message})
            continue
        if on_progress is not None:
            on_progress(sub_id)
        counts.renewed += billed.renewed
        if billed.invoice is not None:
            counts.invoiced += 1
            counts.finalized += billed.invoice.number is not None
    while True:
        with uow:
            drafts = list(uow.billing.drafts_to_finalize(organization_id, clock.now(), batch))
        if not drafts:
            break
        progressed = False
        for org, invoice_id in drafts:
            try:
                with uow:
                    invoice = uow.billing.get_invoice(org, invoice_id)
                    if invoice is None:
                        continue
                    finalize_in(uow, invoice, clock.now())
                    uow.commit()
                counts.finalized += 1
                progressed = True
                if on_progress is not None:
                    on_progress(invoice_id)
            except Conflict:
                counts.skipped += 1
            except DomainError as exc:
                errors.append({"invoice_id": invoice_id, "code": exc.code, "message": exc.message})
        if not progressed:
            break
    done = replace(
        record,
        finished_at=clock.now(),
        renewed=counts.renewed,
        invoiced=counts.invoiced,
        finalized=counts.finalized,
        skipped=counts.skipped,
        errors=tuple(errors),
    )
    with uow:
        uow.billing.finish_run(done)
        uow.commit()
    return done


class BillingJobs(Protocol):
    """A job system that runs billing work on worker processes (Dramatiq on Redis)."""

    def bill_subscription(self, organization_id: str, subscription_id: str) -> None: ...
    def finalize_draft(self, organization_id: str, invoice_id: str) -> None: ...


def dispatch_billing(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str | None,
    jobs: BillingJobs,
    *,
    batch: int = 500,
) -> int:
    """A billing run spread over workers: one job per subscription that is due or has pending
    items, one per draft past its grace. Jobs are idempotent, so a job sent twice, a worker
    killed mid-job or a second dispatch bills nothing twice. Returns the jobs sent."""
    as_of = clock.now()
    sent = 0
    for org, sub_id in _keyset(uow, organization_id, as_of, batch):
        jobs.bill_subscription(org, sub_id)
        sent += 1
    with uow:
        drafts = list(uow.billing.drafts_to_finalize(organization_id, as_of, 100_000))
    for org, invoice_id in drafts:
        jobs.finalize_draft(org, invoice_id)
        sent += 1
    return sent


def finalize_draft(uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str) -> bool:
    """The job body: finalize a draft whose grace is over; False if it is not one (any more)."""
    with uow:
        invoice = uow.billing.get_invoice(organization_id, invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.DRAFT:
            return False
        if invoice.finalize_after > clock.now():
            return False
        finalize_in(uow, invoice, clock.now())
        uow.commit()
    return True


@dataclass(frozen=True)
class Upcoming:
    """Seed 004's future invoice: its period, status "upcoming", when it is cut, its lines."""

    subscription_id: str
    invoice: Invoice  # status draft, never saved
    cut_off: datetime | None  # when the billing run will finalize it
    period_start: date | None
    period_end: date | None


def upcoming_invoices(
    uow: UnitOfWork, clock: Clock, organization_id: str, account_id: str, grace: timedelta
) -> list[Upcoming]:
    """For each of the account's subscriptions, the next invoice as the run would make it."""
    now = clock.now()
    result = []
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        book = price_book(uow, organization_id)
        moves = renewal_moves(uow, book, list(book.plans))
        for sub in uow.subscriptions.for_account(organization_id, account_id):
            preview = run(uow, sub, book, moves, None, SYSTEM, now, dry_run=True)
            current = preview.view.subscription
            stored = list(uow.subscriptions.items(sub.id, pending_only=True))
            if stored and not uow.billing.has_invoice(sub.id, billing_key(current)):
                # The next run bills what is pending now, on its own (with any catch-up).
                items = [s.item for s in stored] + list(preview.items)
                cut: datetime | None = now + grace
                start = current.period_start if current.in_service else None
                end = current.period_end if current.in_service else None
            else:
                upcoming = preview.next_invoice
                items = list(upcoming.items)
                cut = start = end = None
                if upcoming.cut_off is not None:
                    cut = local_midnight(upcoming.cut_off, zone(current.time_zone)) + grace
                    if current.in_service:
                        start = upcoming.cut_off
                        end = current.schedule.period_containing(upcoming.cut_off).end
            if not items:
                continue
            as_stored = [
                StoredItem(f"upcoming:{i}", sub.id, "", item, None, now)
                for i, item in enumerate(items)
            ]
            drafted = draft_for(uow, current, account, book, as_stored, now, grace).invoice
            result.append(Upcoming(sub.id, drafted, cut, start, end))
    return result
