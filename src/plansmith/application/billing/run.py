"""The billing run: every subscription that is due or has pending items is renewed and
invoiced, exactly once; drafts past their grace period are finalized.

Subscriptions are billed in batches, each one transaction: a snapshot of what the batch
reads is loaded at once, the billing step (billing_step, pure) decides each subscription's
outcome, and the outcomes are written in bulk, the invoice numbers taken just before the
invoices (the counter is held until commit). A single subscription is a batch of one: there
is one path. Running twice creates nothing new; two
workers on one subscription collide on the revision check or on the unique (subscription,
billing key), and the loser's batch rolls back and is billed one subscription at a time,
where the loser skips what the winner did. A crash loses nothing: nothing of a batch is
written unless all of it is, and the run's record counts what each batch did in the batch's
own transaction (see run_records). The upcoming invoice is the same step on a snapshot,
saved nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from plansmith.application.billing import step as billing_step
from plansmith.application.billing.ports import RunRecord, RunStatus
from plansmith.application.billing.run_records import RunLog, RunWatch, start_run
from plansmith.application.invoicing.drafts import finalized_events
from plansmith.application.invoicing.invoices import finalize_in, seller_of
from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.kernel.records import changed
from plansmith.domain.organizations.branding import Seller


@dataclass(frozen=True)
class Billed:
    renewed: bool  # it passed at least one period end
    invoice: Invoice | None  # None: nothing pending, or its period is invoiced already
    # it billed a stopped period's usage alone (ADR 0034): bill it again for the rest
    stop_usage: bool = False


def _counts(billed: Iterable[Billed]) -> tuple[int, int, int]:
    """Renewed, invoiced, finalized: what these add to the run's record."""
    done = list(billed)
    return (
        sum(b.renewed for b in done),
        sum(b.invoice is not None for b in done),
        sum(b.invoice is not None and b.invoice.number is not None for b in done),
    )


def _bill(
    uow: UnitOfWork,
    subscriptions: Sequence[tuple[str, str]],
    now: datetime,
    grace: timedelta,
    run_id: str | None,
) -> list[Billed]:
    """Inside an open unit of work: each (organization id, subscription id) billed, its
    outcome written; its invoices name ``run_id``, the run making them. A subscription
    named twice is billed once (the second finds it done)."""
    by_organization: dict[str, dict[str, None]] = {}
    for org, sub_id in subscriptions:
        by_organization.setdefault(org, {})[sub_id] = None
    outcomes = []
    for org, ids in by_organization.items():
        snapshot = uow.billing_batches.snapshot(org, list(ids), hold_credit=grace <= timedelta(0))
        outcomes += [
            ((org, out.before.id), out)
            for out in billing_step.bill_all(snapshot, list(ids), now, grace, run_id)
        ]
    numbers = uow.billing_batches.write([out for _pair, out in outcomes])  # numbers: last
    billed: dict[tuple[str, str], Billed] = {}
    renewals: list[DomainEvent] = []
    invoicing: list[DomainEvent] = []
    for pair, out in outcomes:
        invoice = out.invoice.invoice if out.invoice is not None else None
        if invoice is not None and invoice.id in numbers:
            invoice = changed(invoice, number=numbers[invoice.id])
        billed[pair] = Billed(out.renewed, invoice, out.stop_usage)
        renewals += out.events
        invoicing += _invoice_events(invoice, now)
    uow.publish([*renewals, *invoicing])  # as written: the subscriptions, then their invoices
    done: set[tuple[str, str]] = set()
    result = []
    for pair in subscriptions:
        result.append(billed[pair] if pair not in done else Billed(False, None))
        done.add(pair)
    return result


def _invoice_events(invoice: Invoice | None, now: datetime) -> list[DomainEvent]:
    """What finalizing in the step published (with the real number); a draft waiting out its
    grace period publishes when it is finalized."""
    if invoice is None or invoice.number is None:
        return []
    return finalized_events(invoice, now)


def invoice_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    grace: timedelta,
    log: RunLog | None = None,
) -> Billed:
    """Renew what is due and invoice what is pending, in one transaction of its own: a
    batch of one."""
    now = clock.now()
    with uow:
        run_id = log.run_id if log is not None else None
        [billed] = _bill(uow, [(organization_id, subscription_id)], now, grace, run_id)
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
    log: RunLog | None = None,
) -> BatchResult:
    """Bill (organization id, subscription id) pairs in one transaction; if anything in it
    refuses (a rule, or another worker that got there first), bill them one at a time, so
    one subscription's error or a race costs only itself. With ``log``, what it did is
    added to that run's record in the same transaction(s)."""
    now = clock.now()
    run_id = log.run_id if log is not None else None
    result = BatchResult()
    try:
        with uow:
            billed = _bill(uow, subscriptions, now, grace, run_id)
            if log is not None:
                log.count(uow, *_counts(billed))
            uow.commit()
    except DomainError:
        result = _one_by_one(uow, clock, subscriptions, grace, log)
        if log is not None:
            log.problems(uow, result.skipped, result.errors)
        return result
    for (_org, sub_id), b in zip(subscriptions, billed, strict=True):
        result.count(sub_id, b)
    return _then_the_rest(uow, clock, subscriptions, billed, grace, log, result)


def _then_the_rest(
    uow: UnitOfWork,
    clock: Clock,
    subscriptions: Sequence[tuple[str, str]],
    billed: Sequence[Billed],
    grace: timedelta,
    log: RunLog | None,
    result: BatchResult,
) -> BatchResult:
    """Those whose step billed a stopped period's usage alone are billed once more, in a
    transaction of their own, for what else is due (a pending credit, a period end): each
    on its own invoice, in the same run."""
    again = [pair for pair, b in zip(subscriptions, billed, strict=True) if b.stop_usage]
    if not again:
        return result
    rest = bill_batch(uow, clock, again, grace, log)
    result.renewed += rest.renewed
    result.invoiced += rest.invoiced
    result.finalized += rest.finalized
    result.skipped += rest.skipped
    result.errors += rest.errors
    return result


def _one_by_one(
    uow: UnitOfWork,
    clock: Clock,
    subscriptions: Sequence[tuple[str, str]],
    grace: timedelta,
    log: RunLog | None,
) -> BatchResult:
    result = BatchResult()
    for org, sub_id in subscriptions:
        try:
            billed = invoice_subscription(uow, clock, org, sub_id, grace, log)
            if billed.stop_usage:  # its stopped usage alone: then the rest, on its own
                result.count(sub_id, billed)
                billed = invoice_subscription(uow, clock, org, sub_id, grace, log)
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
        for chunk in batches(uow, organization_id, as_of, batch):
            done = bill_batch(uow, clock, chunk, grace, log)
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
        sellers: dict[str, Seller] = {}  # read once per organization for the batch
        for org, invoice_id in drafts:
            try:
                with uow:
                    invoice = uow.invoices.hold_invoice(org, invoice_id)
                    if invoice is None or invoice.status is not InvoiceStatus.DRAFT:
                        skipped += 1  # finalized or voided meanwhile, by another
                        continue
                    if org not in sellers:
                        sellers[org] = seller_of(uow, org)
                    finalize_in(uow, invoice, clock.now(), sellers[org])
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
