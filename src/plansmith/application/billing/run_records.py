"""A billing run's record tells the truth, however the run ends.

Each transaction that bills adds what it did to the run's counts in that same transaction,
so a record read at any moment (or after the run's process died) counts exactly what was
committed. A run ends finished, or failed (an error stopped it in its own process). Each
commit also runs the run's lease on (``lease_until``: wall-clock time, so a sandbox's frozen
clock does not matter) by the lease of the process that made it, so every process judges a
run alike whatever lease it is configured with. A run whose process died is marked abandoned,
naming the run that found it: at once by the run of a retry that took over the dead run's
Idempotency-Key (the key's lease ran out: its holder is gone), else by the next run of its
scope once its own lease ran out. Nothing of the billing itself depends on the record: the
next run bills what the dead one left, each subscription and period exactly once, by their
own keys.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from plansmith.application.billing.ports import RunRecord, RunStatus
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.invoicing.events import BillingRunFinished

log = logging.getLogger("plansmith.billing")
DEFAULT_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class RunWatch:
    """How runs are watched: the wall clock their progress is stamped with, and how long a
    run of this process may go without progress before another takes it for dead."""

    wall: Clock
    lease: timedelta = DEFAULT_LEASE


@dataclass(frozen=True)
class RunLog:
    """Where billing work adds what it did: one run's record."""

    run_id: str
    wall: Clock
    abandoned: Sequence[str] = field(default=())  # runs this one found abandoned
    lease: timedelta = DEFAULT_LEASE  # how long this process's progress keeps the run alive

    def stamp(self) -> tuple[datetime, datetime]:
        """Now by the wall clock, and until when the run's lease runs from now."""
        now = self.wall.now()
        return now, now + self.lease

    def count(self, uow: UnitOfWork, renewed: int, invoiced: int, finalized: int) -> None:
        """Inside the transaction that did the work, just before its commit."""
        uow.billing_runs.count_run(self.run_id, renewed, invoiced, finalized, *self.stamp())

    def problems(self, uow: UnitOfWork, skipped: int, errors: Sequence[dict[str, str]]) -> None:
        """Skipped subscriptions and errors, in a transaction of their own (the failed work's
        transaction was rolled back)."""
        if not skipped and not errors:
            return
        with uow:
            uow.billing_runs.note_run_problems(self.run_id, skipped, errors, *self.stamp())
            uow.commit()

    def end(self, uow: UnitOfWork, status: RunStatus, finished_at: datetime | None) -> RunRecord:
        with uow:
            before = uow.billing_runs.get_run(self.run_id)
            assert before is not None  # runs are never deleted
            uow.billing_runs.end_run(self.run_id, status, finished_at)
            found = uow.billing_runs.get_run(self.run_id)
            assert found is not None
            ends_now = before.status in (RunStatus.RUNNING.value, RunStatus.ABANDONED.value)
            if ends_now and status is RunStatus.FINISHED and finished_at is not None:
                uow.publish([_finished(found, finished_at)])
            uow.commit()
        return found

    def record(self, uow: UnitOfWork) -> RunRecord:
        with uow:
            found = uow.billing_runs.get_run(self.run_id)
        assert found is not None  # runs are never deleted
        return found

    def failed(self, uow: UnitOfWork) -> None:
        """Best effort, while an error is on its way up: the record says the run stopped."""
        try:
            self.end(uow, RunStatus.FAILED, None)
        except Exception:
            log.warning("could not mark billing run %s failed", self.run_id, exc_info=True)


def publish_if_finished(uow: UnitOfWork, run_id: str, at: datetime) -> None:
    """Inside the transaction that may have finished the run on workers (its row is held by
    that UPDATE): publish billing_run.finished if it finished it, stamped ``at``."""
    found = uow.billing_runs.get_run(run_id)
    if found is not None and found.status == RunStatus.FINISHED.value and found.finished_at == at:
        uow.publish([_finished(found, at)])


def _finished(record: RunRecord, at: datetime) -> BillingRunFinished:
    return BillingRunFinished(
        organization_id=record.organization_id,
        at=at,
        run_id=record.id,
        as_of=record.as_of,
        renewed=record.renewed,
        invoiced=record.invoiced,
        finalized=record.finalized,
        skipped=record.skipped,
        errors=len(record.errors),
    )


def start_run(
    uow: UnitOfWork,
    watch: RunWatch,
    organization_id: str | None,
    as_of: datetime,
) -> RunLog:
    """Record a new run (as of ``as_of``), and mark abandoned the runs whose processes died:
    the run an earlier holder of this request's Idempotency-Key started (this request took the
    key over after its lease ran out), and the runs of its scope whose own lease ran out."""
    now = watch.wall.now()
    record = RunRecord(
        id=new_id("run"),
        organization_id=organization_id,
        as_of=as_of,
        started_at=as_of,
        finished_at=None,
        renewed=0,
        invoiced=0,
        finalized=0,
        skipped=0,
        errors=(),
        progress_at=now,
        lease_until=now + watch.lease,
        jobs=None,
    )
    with uow:
        uow.billing_runs.add_run(record)
        replaced = uow.billing_runs.link_run(record.id)
        taken_over = (
            [replaced] if replaced and uow.billing_runs.abandon_run(replaced, record.id) else []
        )
        stale = uow.billing_runs.abandon_runs(organization_id, now, record.id)
        uow.commit()
    for run_id in taken_over:
        log.warning("billing run %s: its request was taken over; marked abandoned", run_id)
    for run_id in stale:
        log.warning("billing run %s: its lease ran out; marked abandoned", run_id)
    return RunLog(record.id, watch.wall, (*taken_over, *stale), watch.lease)
