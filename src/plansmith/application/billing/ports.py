"""What the billing run needs from outside. The billing step reads a snapshot and decides an
outcome; the `BillingBatches` port loads the one and writes the other for a whole batch of
subscriptions at once. Run records (`BillingRunRepository`) count what each batch did.

The step (billing.step) is a pure function from a subscription's entry in the snapshot to its
outcome, so a batch of 500 and a single subscription take one path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from plansmith.application.invoicing.ports import Redemption
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.invoicing.invoice import Invoice, TaxRate
from plansmith.domain.invoicing.ledger import Transaction
from plansmith.domain.invoicing.pricing import ChargedLine
from plansmith.domain.organizations.branding import Seller
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription
from plansmith.domain.usage.events import DEFAULT_GRACE
from plansmith.domain.usage.measures import DayUsage
from plansmith.domain.usage.meters import Aggregation


@dataclass(frozen=True)
class SubscriptionSnapshot:
    """One subscription and everything its billing step reads."""

    subscription: Subscription
    log: tuple[Span, ...]  # its held terms, by seq
    # uninvoiced items (id, item), in the order their events made them
    pending: tuple[tuple[str, BillableItem], ...]
    last_event_seq: int  # 0: none yet
    # billing keys it has an invoice for already: at least those of its current period on
    # (or of its stop, if earlier); older ones cannot be its next invoice's
    invoiced_keys: frozenset[str]
    account: Account
    address: InvoiceAddress | None  # the account's default invoice address
    account_tax_rate_id: str | None  # a rate chosen for the account itself
    redemptions: tuple[Redemption, ...]  # its coupons, oldest first
    charged: tuple[ChargedLine, ...]  # invoiced charges its pending credits may reverse
    # its account's daily usage of the meters the catalog charges, from its period's start
    # (read for the whole batch at once; empty when the catalog charges no meter)
    usage: tuple[DayUsage, ...] = ()
    # (period start, meter) -> units of the extra packs paid in that period, of its account
    packs: Mapping[tuple[date, str], tuple[int, ...]] = field(default_factory=dict)
    # the meters whose usage it bills (None: every meter it charges); see usage_standing
    owned: frozenset[str] | None = None


@dataclass(frozen=True)
class BillingSnapshot:
    """A batch of one organization's subscriptions, with the organization's catalog."""

    organization_id: str
    book: PriceBook
    moves: Mapping[str, RenewalMove]  # from version id -> where it goes at renewal
    tax_rates: tuple[TaxRate, ...]  # the organization's, oldest first
    # (account id, currency) -> customer-credit balance (negative: owed to the customer);
    # held until commit for the accounts that have some, when loaded to finalize, and then
    # plus what their open invoices owe (those take the balance first, ADR 0037): a new
    # invoice takes only a negative remainder.
    credit: Mapping[tuple[str, str], int]
    entries: Mapping[str, SubscriptionSnapshot]  # by subscription id
    # who its invoices are from, as the settings stand: read when loaded to finalize (the
    # invoices finalized keep it); None otherwise
    seller: Seller | None = None
    # the meters the catalog's charges read (code -> aggregation) and the organization's
    # grace window for late events: a period's usage is billed once its end + grace passed
    meters: Mapping[str, Aggregation] = field(default_factory=dict)
    event_grace: timedelta = DEFAULT_GRACE


@dataclass(frozen=True)
class NewItem:
    """A billable item the step made: caused by ``events[event]`` of its outcome."""

    id: str
    item: BillableItem
    event: int


@dataclass(frozen=True)
class InvoiceOutcome:
    invoice: Invoice  # a draft, or finalized (open or paid) with its number still to take
    billing_key: str
    buyer: Mapping[str, object]
    taken: tuple[str, ...]  # stored items it takes (those still uninvoiced only)
    posting: Transaction | None  # when finalized: what the ledger gets
    redemption_uses: tuple[str, ...]  # when finalized: a use counted on each
    seller: Seller | None = None  # when finalized: the seller it keeps

    @property
    def finalized(self) -> bool:
        return self.posting is not None


@dataclass(frozen=True)
class BillingOutcome:
    """What billing one subscription decided; nothing of it is stored yet."""

    before: Subscription  # as read: its revision is the one the update expects
    subscription: Subscription  # caught up with its period ends
    events: tuple[SubscriptionEvent, ...]  # empty: no period end passed, nothing to save
    first_seq: int  # the seq of its first event
    spans_written: tuple[Span, ...]
    spans_deleted: tuple[int, ...]
    items: tuple[NewItem, ...]
    invoice: InvoiceOutcome | None
    actor: str
    at: datetime
    # it billed a stopped period's usage (ADR 0034), and that alone: whatever else is due
    # (a period end, pending items) is billed by the next step, on its own invoice
    stop_usage: bool = False

    @property
    def renewed(self) -> bool:
        return bool(self.events) and not self.stop_usage


class BillingBatches(Protocol):
    """Loads snapshots and writes outcomes, inside the caller's unit of work."""

    def snapshot(
        self, organization_id: str, subscription_ids: Sequence[str], *, hold_credit: bool
    ) -> BillingSnapshot:
        """The organization's subscriptions among these ids (others are left out), in a
        number of queries that depends neither on how many there are nor on the catalog's
        size. ``hold_credit``: loaded to finalize; hold the accounts that have customer credit
        until commit (a row lock), so nobody else uses it meanwhile, read their credit under
        the lock, and read the seller the finalized invoices keep (one statement)."""
        ...

    def write(self, outcomes: Sequence[BillingOutcome]) -> Mapping[str, str]:
        """Write every outcome in bulk; returns invoice id -> number for the finalized ones,
        numbered in the order given, taken from each organization's counter as the last
        statement. Conflict if a subscription changed since it was read (revision), an item
        was invoiced meanwhile, or an invoice exists for its billing key already."""
        ...


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"  # stopped by an error in its own process
    ABANDONED = "abandoned"  # its process died: found by a later run after its lease, or by


@dataclass(frozen=True)
class RunRecord:
    """A billing run and what it did. The counts are added by each transaction that did the
    work, in that transaction, so they are true whenever they are read, however it ended."""

    id: str
    organization_id: str | None
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None
    renewed: int
    invoiced: int
    finalized: int
    skipped: int
    errors: Sequence[dict[str, str]]
    status: str = RunStatus.RUNNING.value
    progress_at: datetime | None = None  # the wall clock of its last commit
    # progress_at + the lease of the process that made that progress: past it, dead
    lease_until: datetime | None = None
    abandoned_by: str | None = None
    jobs: int | None = None  # on workers: the jobs sent (None while sending)
    jobs_done: int = 0


@dataclass(frozen=True)
class MadeInvoice:
    """An invoice a billing run made, as it stands now (a draft has no number yet)."""

    id: str
    number: str | None
    status: str
    account_id: str
    subscription_id: str | None
    created_at: datetime


class BillingRunRepository(Protocol):
    """The records of billing runs: what each did, how it ended, its lease and worker jobs."""

    def add_run(self, run: RunRecord) -> None: ...
    def get_run(self, run_id: str) -> RunRecord | None: ...
    def count_run(
        self,
        run_id: str,
        renewed: int,
        invoiced: int,
        finalized: int,
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        """Add what this transaction did to the run's counts; ``at`` is its progress, and the
        run's lease runs on to ``lease_until`` (unchanged if None)."""
        ...

    def note_run_problems(
        self,
        run_id: str,
        skipped: int,
        errors: Sequence[dict[str, str]],
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        """Add skipped subscriptions and errors to the run (holding its row meanwhile)."""
        ...

    def end_run(self, run_id: str, status: RunStatus, finished_at: datetime | None) -> None:
        """Set how the run ended (finished, failed), unless it has ended already."""
        ...

    def abandon_runs(self, organization_id: str | None, now: datetime, by: str) -> Sequence[str]:
        """Mark abandoned the running runs of this scope (None: every organization) whose
        lease ran out before ``now``; returns their ids."""
        ...

    def link_run(self, run_id: str) -> str | None:
        """Tie the run to the request that starts it (its Idempotency-Key, if any); returns
        the run an earlier holder of that key started, which is not running any more: its
        holder's lease ran out and this request took the key over."""
        ...

    def abandon_run(self, run_id: str, by: str) -> bool:
        """Mark this run abandoned by ``by`` if it is still running."""
        ...

    def run_dispatched(
        self, run_id: str, jobs: int, at: datetime, lease_until: datetime | None = None
    ) -> None:
        """All of the run's jobs are sent: finish it now if the workers did them already."""
        ...

    def run_job_done(
        self, run_id: str, job: int, at: datetime, lease_until: datetime | None = None
    ) -> bool:
        """Count the job done once (False if it was already); the last one finishes the run."""
        ...

    def runs(self, organization_id: str, limit: int) -> Sequence[RunRecord]:
        """The organization's runs and those over every organization, newest first."""
        ...

    def run_invoices(
        self,
        organization_id: str,
        run_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[MadeInvoice]:
        """The organization's invoices the run made, oldest first, after the cursor."""
        ...

    def first_run_invoices(
        self, organization_id: str, run_ids: Sequence[str], limit: int
    ) -> Mapping[str, Sequence[MadeInvoice]]:
        """Per run, the first ``limit`` of the organization's invoices it made (one query)."""
        ...


@dataclass(frozen=True)
class AccountHoldings:
    """What an account's invoice prediction reads: the account, what its invoices' tax rate
    is chosen from, and each subscription with its held-terms log, oldest first."""

    account: Account
    address: InvoiceAddress | None  # its default invoice address
    own_tax_rate_id: str | None  # a rate chosen for the account itself
    tax_rates: tuple[TaxRate, ...]  # the organization's, oldest first
    subscriptions: tuple[tuple[Subscription, tuple[Span, ...]], ...]
    catalog_revision: int  # as this transaction sees it (the book comes from the cache)
    # Units of the extra packs paid per (period start, meter), from the subscriptions' stored
    # periods on (a period the prediction runs into is a later one).
    packs: Mapping[tuple[date, str], tuple[int, ...]]


class UpcomingReads(Protocol):
    """What the upcoming invoice of one account reads, inside the caller's unit of work."""

    def account_snapshot(
        self,
        organization_id: str,
        account_id: str,
        book: PriceBook,
        moves: Mapping[str, RenewalMove],
    ) -> tuple[Account, InvoiceAddress | None, BillingSnapshot] | None:
        """The account, its default invoice address, and every subscription of it as the
        billing step reads it (None: no such account), priced with ``book`` and ``moves``, in
        a number of queries that depends neither on the account's history nor on the catalog.
        Nothing is held: ``credit`` is left empty (an upcoming invoice is a draft and uses
        none) and ``invoiced_keys`` holds only the keys the step may still ask about (from the
        stored period on)."""
        ...

    def account_holdings(self, organization_id: str, account_id: str) -> AccountHoldings | None:
        """The account with its subscriptions and logs, paid packs, the catalog revision and
        the tax rates (None: no such account), in two statements whatever its history."""
        ...
