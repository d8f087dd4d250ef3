"""What the billing use cases need from storage, one port per aggregate: invoices (with
numbering, pending items and credit notes), the ledger, coupons, tax rates, billing runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from plansmith.domain.coupons import Coupon
from plansmith.domain.invoice_pricing import ChargedLine
from plansmith.domain.invoicing import CreditNote, Invoice, TaxRate
from plansmith.domain.ledger import LedgerAccount, Transaction


@dataclass(frozen=True)
class Redemption:
    id: str
    coupon: Coupon
    subscription_id: str
    invoices_used: int  # finalized invoices it discounted
    in_drafts: int = 0  # drafts (in their grace period) that carry it: uses once finalized

    @property
    def uses(self) -> int:
        """What the coupon's duration is counted against: a draft that carries it will use
        it, so the next invoice must not get it as well."""
        return self.invoices_used + self.in_drafts


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"  # stopped by an error in its own process
    ABANDONED = "abandoned"  # its process died: found by a later run after its lease, or by
    # the run of the retry that took over its request's Idempotency-Key


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


class InvoiceRepository(Protocol):
    """Invoices with their lines and credit notes, the pending items they take, and the
    organization's gapless document numbers."""

    def add_invoice(
        self, invoice: Invoice, billing_key: str | None, buyer: dict[str, object]
    ) -> None:
        """Insert a draft; Conflict(invoice_exists) if the subscription has one for that key."""
        ...

    def has_invoice(self, subscription_id: str, billing_key: str) -> bool: ...
    def update_invoice(self, invoice: Invoice, expected_status: str) -> None:
        """Save status, number, totals and stamps only if the stored status is still the
        expected one; Conflict(concurrent_change) otherwise."""
        ...

    def get_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None: ...
    def hold_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        """The invoice, its row held until commit (a row lock): whoever changes it or checks
        a limit on it (credit notes, what it owes) reads it after the previous one is done."""
        ...

    def buyer(self, invoice_id: str) -> dict[str, object]: ...
    def invoices(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Invoice]:
        """Ordered by (created_at, id), strictly after the given position."""
        ...

    def drafts_to_finalize(
        self, organization_id: str | None, as_of: datetime, limit: int
    ) -> Sequence[tuple[str, str]]:
        """(organization id, invoice id) of drafts whose grace period is over, by grace end;
        of one organization, or of all but sandboxes with None."""
        ...

    def take_items(self, invoice_id: str, item_ids: Sequence[str]) -> None:
        """Mark pending items as invoiced; Conflict if any was taken already."""
        ...

    def with_pending_items(
        self, organization_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> Sequence[tuple[str, str]]:
        """(organization id, subscription id) with uninvoiced items, by organization and
        subscription id, strictly after ``after``."""
        ...

    def next_number(self, organization_id: str, kind: str) -> int:
        """The next number of the organization's sequence, inside the caller's transaction."""
        ...

    def next_finalize_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        """The earliest grace end in (after, until] of the organization's drafts, if any."""
        ...

    def charged_lines(
        self, subscription_ids: Sequence[str], ending_after: date
    ) -> Mapping[str, Sequence[ChargedLine]]:
        """Per subscription, its invoiced recurring and charge lines (any invoice status) whose
        period ends after ``ending_after``, oldest first: in the order its events made them.
        What a credit for unused time reverses."""
        ...

    def add_credit_note(self, note: CreditNote) -> None: ...
    def credit_notes(self, invoice_id: str) -> Sequence[CreditNote]:
        """Oldest first."""
        ...


class LedgerRepository(Protocol):
    """The append-only double-entry ledger and the customer credit it holds."""

    def post(self, transaction: Transaction) -> None:
        """Append; Conflict(already_posted) if that kind was posted for that document."""
        ...

    def posted(self, kind: str, reference: str) -> Transaction | None: ...
    def hold_credit(self, account_id: str) -> None:
        """Hold the account's customer credit until commit (a row lock), so that of two
        transactions about to use it, the second reads what the first left."""
        ...

    def ledger_balance(
        self, account_id: str, ledger_account: LedgerAccount, currency: str
    ) -> int: ...
    def transactions(self, organization_id: str, account_id: str) -> Sequence[Transaction]:
        """Ordered by (at, id)."""
        ...


class CouponRepository(Protocol):
    """Coupons and their redemptions by subscriptions."""

    def add_coupon(self, coupon: Coupon) -> None: ...
    def coupon_by_code(self, organization_id: str, code: str) -> Coupon | None: ...
    def coupons(self, organization_id: str) -> Sequence[Coupon]:
        """By code."""
        ...

    def redeem(
        self,
        redemption_id: str,
        organization_id: str,
        coupon_id: str,
        subscription_id: str,
        at: datetime,
    ) -> None:
        """Conflict(already_redeemed) if the subscription has that coupon."""
        ...

    def redemptions(self, subscription_id: str) -> Sequence[Redemption]:
        """Oldest first, each with the drafts that carry its coupon (``in_drafts``)."""
        ...

    def count_redemption_use(self, redemption_id: str) -> None: ...


class TaxRateRepository(Protocol):
    """Tax rates and the one an account is taxed at."""

    def add_tax_rate(self, rate: TaxRate, organization_id: str, at: datetime) -> None: ...
    def tax_rates(self, organization_id: str) -> Sequence[TaxRate]:
        """Oldest first."""
        ...

    def set_account_tax_rate(
        self, organization_id: str, account_id: str, rate_id: str | None
    ) -> None: ...
    def account_tax_rate(self, account_id: str) -> str | None: ...


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
