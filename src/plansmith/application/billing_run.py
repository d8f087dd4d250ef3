"""The billing run: every subscription that is due or has pending items is renewed and
invoiced, exactly once; drafts past their grace period are finalized.

Subscriptions are billed in batches, each one transaction (``uow.for_batch``: its reads
loaded at once, its writes made in bulk at commit): catch up with the period ends, put the
pending items on a draft for the billing key, and (without a grace period) finalize it.
Running twice creates nothing new; two workers on one subscription collide on the revision
check or on the unique (subscription, billing key), and the loser's batch rolls back and is
billed one subscription at a time, where the loser skips what the winner did. A crash loses
nothing: nothing of a batch is written unless all of it is, and the run's record counts
what each batch did in the batch's own transaction (see run_records). The catalog is read
once per organization per run. The upcoming invoice is the same computation on the state the
next period end will find, saved nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from plansmith.application.billing_ports import RunRecord, RunStatus
from plansmith.application.errors import Conflict, NotFound
from plansmith.application.invoices import billing_key, buyer_of, draft_for, finalize_in
from plansmith.application.ports import Clock, StoredItem, UnitOfWork
from plansmith.application.run_records import RunLog, RunWatch, start_run
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
from plansmith.domain.renewals import RenewalMove
from plansmith.domain.subscriptions import PriceBook, Subscription


@dataclass(frozen=True)
class Billed:
    renewed: bool  # it passed at least one period end
    invoice: Invoice | None  # None: nothing pending, or its period is invoiced already


def _counts(billed: Iterable[Billed]) -> tuple[int, int, int]:
    """Renewed, invoiced, finalized: what these add to the run's record."""
    done = list(billed)
    return (
        sum(b.renewed for b in done),
        sum(b.invoice is not None for b in done),
        sum(b.invoice is not None and b.invoice.number is not None for b in done),
    )


@dataclass
class Catalogs:
    """Each organization's price book and version moves, read once for a run (or a job), and
    read again when a subscription names something the book lacks (published meanwhile)."""

    books: dict[str, tuple[PriceBook, Mapping[str, RenewalMove]]] = field(default_factory=dict)

    def of(
        self, uow: UnitOfWork, organization_id: str, sub: Subscription | None = None
    ) -> tuple[PriceBook, Mapping[str, RenewalMove]]:
        found = self.books.get(organization_id)
        if found is None or (sub is not None and not _covers(found[0], sub)):
            book = price_book(uow, organization_id)
            found = self.books[organization_id] = (book, renewal_moves(uow, book, list(book.plans)))
        return found


def _covers(book: PriceBook, sub: Subscription) -> bool:
    """Whether the book has every catalog object the subscription's terms name."""
    held = [sub.terms] + ([sub.scheduled.terms] if sub.scheduled is not None else [])
    return sub.family_id in book.families and all(
        terms.version_id in book.versions
        and terms.plan_id in book.plans
        and all(code in book.add_ons for code in terms.add_ons)
        for terms in held
    )


def _renew_and_draft(
    uow: UnitOfWork,
    catalogs: Catalogs,
    organization_id: str,
    subscription_id: str,
    now: datetime,
    grace: timedelta,
) -> Billed:
    """Inside an open unit of work: catch up, then put what is pending on a draft."""
    sub = subscription_of(uow, organization_id, subscription_id)
    book, moves = catalogs.of(uow, organization_id, sub)
    caught_up = run(uow, sub, book, moves, None, SYSTEM, now, upcoming=False)
    current = caught_up.view.subscription
    key = billing_key(current)
    pending = list(uow.subscriptions.items(sub.id, pending_only=True))
    if not pending or uow.invoices.has_invoice(sub.id, key):
        return Billed(caught_up.applied, None)
    account = uow.accounts.get(organization_id, sub.account_id)
    assert account is not None  # a foreign key guarantees it
    invoice = draft_for(uow, current, account, book, pending, now, grace).invoice
    uow.invoices.add_invoice(invoice, key, buyer_of(uow, account))
    uow.invoices.take_items(invoice.id, [s.id for s in pending])
    return Billed(caught_up.applied, invoice)


def _finalized(uow: UnitOfWork, billed: Billed, now: datetime, grace: timedelta) -> Billed:
    if billed.invoice is None or grace > timedelta(0):
        return billed
    return replace(billed, invoice=finalize_in(uow, billed.invoice, now))


def invoice_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    grace: timedelta,
    catalogs: Catalogs | None = None,
    log: RunLog | None = None,
) -> Billed:
    """Renew what is due and invoice what is pending, in one transaction of its own."""
    now = clock.now()
    with uow:
        billed = _renew_and_draft(
            uow, catalogs or Catalogs(), organization_id, subscription_id, now, grace
        )
        billed = _finalized(uow, billed, now, grace)
        if billed.renewed or billed.invoice is not None:
            if log is not None:
                log.count(uow, *_counts([billed]))
            uow.commit()
        return billed


@dataclass
class BatchResult:
    renewed: int = 0
    invoiced: int = 0
    finalized: int = 0
    skipped: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # subscriptions billed (or found done)

    def count(self, sub_id: str, billed: Billed) -> None:
        self.done.append(sub_id)
        self.renewed += billed.renewed
        if billed.invoice is not None:
            self.invoiced += 1
            self.finalized += billed.invoice.number is not None


def bill_batch(
    uow: UnitOfWork,
    clock: Clock,
    subscriptions: Sequence[tuple[str, str]],
    grace: timedelta,
    catalogs: Catalogs | None = None,
    log: RunLog | None = None,
) -> BatchResult:
    """Bill (organization id, subscription id) pairs in one transaction; if anything in it
    refuses (a rule, or another worker that got there first), bill them one at a time, so
    one subscription's error or a race costs only itself. With ``log``, what it did is
    added to that run's record in the same transaction(s)."""
    catalogs = catalogs or Catalogs()
    now = clock.now()
    result = BatchResult()
    try:
        with uow.for_batch([sub_id for _org, sub_id in subscriptions]) as batch:
            drafted = [
                (sub_id, _renew_and_draft(batch, catalogs, org, sub_id, now, grace))
                for org, sub_id in subscriptions
            ]
            billed = [(sub_id, _finalized(batch, b, now, grace)) for sub_id, b in drafted]
            if log is not None:
                log.count(batch, *_counts(b for _sub_id, b in billed))
            batch.commit()
    except DomainError:
        result = _one_by_one(uow, clock, subscriptions, grace, catalogs, log)
        if log is not None:
            log.problems(uow, result.skipped, result.errors)
        return result
    for sub_id, b in billed:
        result.count(sub_id, b)
    return result


def _one_by_one(
    uow: UnitOfWork,
    clock: Clock,
    subscriptions: Sequence[tuple[str, str]],
    grace: timedelta,
    catalogs: Catalogs,
    log: RunLog | None,
) -> BatchResult:
    result = BatchResult()
    for org, sub_id in subscriptions:
        try:
            billed = invoice_subscription(uow, clock, org, sub_id, grace, catalogs, log)
        except Conflict:
            result.skipped += 1  # another worker had it; the next run finds it done
            continue
        except DomainError as exc:
            result.errors.append(
                {"subscription_id": sub_id, "code": exc.code, "message": exc.message}
            )
            continue
        result.count(sub_id, billed)
    return result


def _keyset(
    uow: UnitOfWork, organization_id: str | None, as_of: datetime, batch: int
) -> Iterator[tuple[str, str]]:
    """Each subscription that is due, then each with pending items, in a stable order (one
    that is both may come twice; the second time finds nothing left to do)."""
    after_due: tuple[str, datetime, str] | None = None
    while True:
        with uow:
            due = list(uow.subscriptions.due(organization_id, as_of, batch, after_due))
        if not due:
            break
        for org, sub_id, due_at in due:
            after_due = (org, due_at, sub_id)
            yield org, sub_id
    after_pending: tuple[str, str] | None = None
    while True:
        with uow:
            pending = list(uow.invoices.with_pending_items(organization_id, batch, after_pending))
        if not pending:
            break
        for org, sub_id in pending:
            after_pending = (org, sub_id)
            yield org, sub_id


def batches(
    uow: UnitOfWork, organization_id: str | None, as_of: datetime, size: int
) -> Iterator[list[tuple[str, str]]]:
    """What is to bill, in batches of one organization each, at most ``size`` long."""
    chunk: list[tuple[str, str]] = []
    for pair in _keyset(uow, organization_id, as_of, size):
        if chunk and (len(chunk) >= size or chunk[-1][0] != pair[0]):
            yield chunk
            chunk = []
        chunk.append(pair)
    if chunk:
        yield chunk


def run_billing(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str | None,
    *,
    grace: timedelta,
    batch: int = 500,
    on_progress: Callable[[str], None] | None = None,
    watch: RunWatch | None = None,
) -> RunRecord:
    """One billing run as of now, recorded with its counts and errors as it goes (``watch``:
    the wall clock and lease its record is kept by; the run's own clock if not given).
    ``on_progress`` is told each subscription (and each draft finalized) as it is done, e.g.
    for a progress bar."""
    as_of = clock.now()
    log = start_run(uow, watch or RunWatch(clock), organization_id, as_of)
    try:
        catalogs = Catalogs()
        for chunk in batches(uow, organization_id, as_of, batch):
            done = bill_batch(uow, clock, chunk, grace, catalogs, log)
            if on_progress is not None:
                for sub_id in done.done:
                    on_progress(sub_id)
        _finalize_drafts(uow, clock, organization_id, batch, log, on_progress)
    except BaseException:
        log.failed(uow)
        raise
    return log.end(uow, RunStatus.FINISHED, clock.now())


def _finalize_drafts(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str | None,
    batch: int,
    log: RunLog,
    on_progress: Callable[[str], None] | None,
) -> None:
    while True:
        with uow:
            drafts = list(uow.invoices.drafts_to_finalize(organization_id, clock.now(), batch))
        if not drafts:
            break
        progressed = False
        skipped, errors = 0, []
        for org, invoice_id in drafts:
            try:
                with uow:
                    invoice = uow.invoices.hold_invoice(org, invoice_id)
                    if invoice is None or invoice.status is not InvoiceStatus.DRAFT:
                        skipped += 1  # finalized or voided meanwhile, by another
                        continue
                    finalize_in(uow, invoice, clock.now())
                    log.count(uow, 0, 0, 1)
                    uow.commit()
                progressed = True
                if on_progress is not None:
                    on_progress(invoice_id)
            except Conflict:
                skipped += 1
            except DomainError as exc:
                errors.append({"invoice_id": invoice_id, "code": exc.code, "message": exc.message})
        log.problems(uow, skipped, errors)
        if not progressed:
            break


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
        book, moves = Catalogs().of(uow, organization_id)
        for sub in uow.subscriptions.for_account(organization_id, account_id):
            preview = run(uow, sub, book, moves, None, SYSTEM, now, dry_run=True)
            current = preview.view.subscription
            stored = list(uow.subscriptions.items(sub.id, pending_only=True))
            if stored and not uow.invoices.has_invoice(sub.id, billing_key(current)):
                # The next run bills what is pending now, on its own (with any catch-up).
                items = [s.item for s in stored] + list(preview.items)
                cut: datetime | None = now + grace
            else:
                upcoming = preview.next_invoice
                items = list(upcoming.items)
                cut = None
                if upcoming.cut_off is not None:
                    cut = local_midnight(upcoming.cut_off, zone(current.time_zone)) + grace
            if not items:
                continue
            as_stored = [
                StoredItem(f"upcoming:{i}", sub.id, "", item, None, now)
                for i, item in enumerate(items)
            ]
            drafted = draft_for(uow, current, account, book, as_stored, now, grace).invoice
            # Its period is what its lines bill, as on the invoice the run will make.
            result.append(Upcoming(sub.id, drafted, cut, drafted.period_start, drafted.period_end))
    return result
