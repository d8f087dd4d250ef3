"""Fakes of the coupon, tax rate and billing run ports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from plansmith.application.billing.ports import (
    BillingRunRepository,
    MadeInvoice,
    RunRecord,
    RunStatus,
)
from plansmith.application.invoicing.ports import CouponRepository, Redemption, TaxRateRepository
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.invoicing.coupons import Coupon
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus, TaxRate
from plansmith.domain.kernel import error_codes as ec
from tests.fakes.store import FakeStore, RedemptionRow, Repo, Rows, TaxRateRow, clash, page

RUNNING, FINISHED, ABANDONED = RunStatus.RUNNING, RunStatus.FINISHED, RunStatus.ABANDONED


class FakeCoupons(Repo):
    def add_coupon(self, coupon: Coupon) -> None:
        taken = self.coupon_by_code(coupon.organization_id, coupon.code) is not None
        if coupon.id in self._rows.coupons or taken:
            raise clash()
        self._rows.coupons[coupon.id] = coupon

    def coupon_by_code(self, organization_id: str, code: str) -> Coupon | None:
        found = self._rows.coupons.values()
        return next(
            (c for c in found if c.organization_id == organization_id and c.code == code), None
        )

    def coupons(self, organization_id: str) -> Sequence[Coupon]:
        found = [c for c in self._rows.coupons.values() if c.organization_id == organization_id]
        return sorted(found, key=lambda c: c.code)

    def redeem(
        self,
        redemption_id: str,
        organization_id: str,
        coupon_id: str,
        subscription_id: str,
        at: datetime,
    ) -> None:
        if any(
            r.coupon_id == coupon_id and r.subscription_id == subscription_id
            for r in self._rows.redemptions.values()
        ):
            raise Conflict(
                "the subscription has this coupon already", field="coupon", code=ec.ALREADY_REDEEMED
            )
        if redemption_id in self._rows.redemptions:
            raise clash()
        self._rows.redemptions[redemption_id] = RedemptionRow(
            redemption_id, organization_id, coupon_id, subscription_id, 0, at
        )

    def redemptions(self, subscription_id: str) -> Sequence[Redemption]:
        rows = sorted(
            (r for r in self._rows.redemptions.values() if r.subscription_id == subscription_id),
            key=lambda r: (r.created_at, r.id),
        )
        drafts = [
            r.invoice
            for r in self._rows.invoices.values()
            if r.invoice.subscription_id == subscription_id
            and r.invoice.status is InvoiceStatus.DRAFT
        ]
        return [
            Redemption(
                r.id,
                self._rows.coupons[r.coupon_id],
                r.subscription_id,
                r.invoices_used,
                sum(1 for i in drafts for d in i.discounts if d.coupon_id == r.coupon_id),
            )
            for r in rows
        ]

    def count_redemption_use(self, redemption_id: str) -> None:
        row = self._rows.redemptions.get(redemption_id)
        if row is not None:
            self._rows.redemptions[redemption_id] = replace(
                row, invoices_used=row.invoices_used + 1
            )


class FakeTaxRates(Repo):
    def add_tax_rate(self, rate: TaxRate, organization_id: str, at: datetime) -> None:
        if rate.id in self._rows.tax_rates:
            raise clash()
        self._rows.tax_rates[rate.id] = TaxRateRow(rate, organization_id, at)

    def tax_rates(self, organization_id: str) -> Sequence[TaxRate]:
        # Stable sort: rates made at the same instant keep the order they were added in.
        found = [r for r in self._rows.tax_rates.values() if r.organization_id == organization_id]
        return [r.rate for r in sorted(found, key=lambda r: r.created_at)]

    def set_account_tax_rate(
        self, organization_id: str, account_id: str, rate_id: str | None
    ) -> None:
        self._rows.account_tax_rates.pop(account_id, None)
        if rate_id is not None:
            if rate_id not in self._rows.tax_rates:
                raise clash()  # a foreign key to no rate
            self._rows.account_tax_rates[account_id] = rate_id

    def account_tax_rate(self, account_id: str) -> str | None:
        return self._rows.account_tax_rates.get(account_id)


def _progress(run: RunRecord, at: datetime, lease_until: datetime | None) -> RunRecord:
    if lease_until is None:
        return replace(run, progress_at=at)
    return replace(run, progress_at=at, lease_until=lease_until)


def _finished(run: RunRecord, at: datetime) -> RunRecord:
    return replace(run, status=FINISHED.value, finished_at=at, abandoned_by=None)


class FakeBillingRuns(Repo):
    """Run records. The fake has no Idempotency-Key table: ``link_run`` finds no earlier
    holder, as for a run started without a key."""

    def add_run(self, run: RunRecord) -> None:
        if run.id in self._rows.runs:
            raise clash()
        self._rows.runs[run.id] = replace(run, errors=tuple(run.errors))

    def get_run(self, run_id: str) -> RunRecord | None:
        return self._rows.runs.get(run_id)

    def count_run(
        self,
        run_id: str,
        renewed: int,
        invoiced: int,
        finalized: int,
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        run = self._rows.runs.get(run_id)
        if run is None:
            return
        counted = replace(
            run,
            renewed=run.renewed + renewed,
            invoiced=run.invoiced + invoiced,
            finalized=run.finalized + finalized,
        )
        self._rows.runs[run_id] = _progress(counted, at, lease_until)

    def note_run_problems(
        self,
        run_id: str,
        skipped: int,
        errors: Sequence[dict[str, str]],
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        run = self._rows.runs.get(run_id)
        if run is None:
            return
        noted = replace(run, skipped=run.skipped + skipped, errors=(*run.errors, *errors))
        self._rows.runs[run_id] = _progress(noted, at, lease_until)

    def end_run(self, run_id: str, status: RunStatus, finished_at: datetime | None) -> None:
        run = self._rows.runs.get(run_id)
        if run is not None and run.status in (RUNNING.value, ABANDONED.value):
            self._rows.runs[run_id] = replace(
                run, status=status.value, finished_at=finished_at, abandoned_by=None
            )

    def abandon_runs(self, organization_id: str | None, now: datetime, by: str) -> Sequence[str]:
        stale = [
            run
            for run in self._rows.runs.values()
            if run.status == RUNNING.value
            and run.lease_until is not None
            and run.lease_until < now
            and run.id != by
            and (organization_id is None or run.organization_id == organization_id)
        ]
        for run in stale:
            self._rows.runs[run.id] = replace(run, status=ABANDONED.value, abandoned_by=by)
        return [run.id for run in stale]

    def link_run(self, run_id: str) -> str | None:
        return None

    def abandon_run(self, run_id: str, by: str) -> bool:
        run = self._rows.runs.get(run_id)
        if run is None or run.status != RUNNING.value:
            return False
        self._rows.runs[run_id] = replace(run, status=ABANDONED.value, abandoned_by=by)
        return True

    def run_dispatched(
        self, run_id: str, jobs: int, at: datetime, lease_until: datetime | None = None
    ) -> None:
        run = self._rows.runs.get(run_id)
        if run is None:
            return
        sent = _progress(replace(run, jobs=jobs), at, lease_until)
        self._rows.runs[run_id] = _finished(sent, at) if run.jobs_done >= jobs else sent

    def run_job_done(
        self, run_id: str, job: int, at: datetime, lease_until: datetime | None = None
    ) -> bool:
        if (run_id, job) in self._rows.run_jobs:
            return False
        self._rows.run_jobs.add((run_id, job))
        run = self._rows.runs.get(run_id)
        if run is None:
            return True
        complete = run.jobs is not None and run.jobs_done + 1 >= run.jobs
        done = _progress(replace(run, jobs_done=run.jobs_done + 1), at, lease_until)
        self._rows.runs[run_id] = _finished(done, at) if complete else done
        return True

    def runs(self, organization_id: str, limit: int) -> Sequence[RunRecord]:
        found = [
            run
            for run in self._rows.runs.values()
            if run.organization_id in (organization_id, None)
        ]
        found.sort(key=lambda run: run.id)
        found.sort(key=lambda run: run.started_at, reverse=True)
        return found[:limit]

    def _made_by(
        self, organization_id: str, run_id: str
    ) -> list[tuple[tuple[datetime, str], MadeInvoice]]:
        return [
            ((i.created_at, i.id), _made(i))
            for i in (r.invoice for r in self._rows.invoices.values())
            if i.billing_run_id == run_id and i.organization_id == organization_id
        ]

    def run_invoices(
        self,
        organization_id: str,
        run_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[MadeInvoice]:
        return page(self._made_by(organization_id, run_id), after, limit)

    def first_run_invoices(
        self, organization_id: str, run_ids: Sequence[str], limit: int
    ) -> Mapping[str, Sequence[MadeInvoice]]:
        return {
            run_id: page(self._made_by(organization_id, run_id), None, limit) for run_id in run_ids
        }


def _made(invoice: Invoice) -> MadeInvoice:
    return MadeInvoice(
        invoice.id,
        invoice.number,
        invoice.status.value,
        invoice.account_id,
        invoice.subscription_id,
        invoice.created_at,
    )


# mypy checks each fake against its port here: a port change breaks the fake at lint time.
_store, _rows = FakeStore(), Rows()
_coupons: CouponRepository = FakeCoupons(_store, _rows)
_tax_rates: TaxRateRepository = FakeTaxRates(_store, _rows)
_runs: BillingRunRepository = FakeBillingRuns(_store, _rows)
