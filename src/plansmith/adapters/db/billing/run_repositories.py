"""Billing run records in SQL: counts added by single-statement increments in the transaction
that did the work (each moving the run's lease on), the status a run ended with, runs found
abandoned, worker jobs done once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.paging import page_after
from plansmith.adapters.idempotency import link_billing_run
from plansmith.application.billing.ports import MadeInvoice, RunRecord, RunStatus

R = t.billing_runs.c
RUNNING, FINISHED, ABANDONED = RunStatus.RUNNING, RunStatus.FINISHED, RunStatus.ABANDONED


class SqlRunRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_run(self, run: RunRecord) -> None:
        self.session.execute(insert(t.billing_runs).values(**_run_values(run)))

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self.session.execute(select(t.billing_runs).where(R.id == run_id)).first()
        return None if row is None else _record(row)

    def count_run(
        self,
        run_id: str,
        renewed: int,
        invoiced: int,
        finalized: int,
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        self.session.execute(
            update(t.billing_runs)
            .where(R.id == run_id)
            .values(
                renewed=R.renewed + renewed,
                invoiced=R.invoiced + invoiced,
                finalized=R.finalized + finalized,
                **_progress(at, lease_until),
            )
        )

    def note_run_problems(
        self,
        run_id: str,
        skipped: int,
        errors: Sequence[dict[str, str]],
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        # Errors are a JSON list: read and written while the row is held (FOR UPDATE; SQLite
        # holds the database from BEGIN IMMEDIATE).
        held = select(R.errors).where(R.id == run_id).with_for_update()
        known = self.session.execute(held).scalar_one_or_none()
        if known is None:
            return
        self.session.execute(
            update(t.billing_runs)
            .where(R.id == run_id)
            .values(
                skipped=R.skipped + skipped,
                errors=[*known, *errors],
                **_progress(at, lease_until),
            )
        )

    def end_run(self, run_id: str, status: RunStatus, finished_at: datetime | None) -> None:
        # A run found abandoned that was only slow still ends as it really did.
        self.session.execute(
            update(t.billing_runs)
            .where(R.id == run_id, R.status.in_((RUNNING, ABANDONED)))
            .values(status=status.value, finished_at=finished_at, abandoned_by=None)
        )

    def abandon_runs(self, organization_id: str | None, now: datetime, by: str) -> Sequence[str]:
        scope = [R.status == RUNNING, R.lease_until < now, R.id != by]
        if organization_id is not None:
            scope.append(R.organization_id == organization_id)
        stale = list(self.session.execute(select(R.id).where(*scope)).scalars())
        if not stale:
            return []
        # The same condition again: a run that made progress meanwhile is not touched.
        self.session.execute(
            update(t.billing_runs)
            .where(R.id.in_(stale), *scope)
            .values(status=ABANDONED.value, abandoned_by=by)
        )
        return stale

    def link_run(self, run_id: str) -> str | None:
        return link_billing_run(self.session, run_id)

    def abandon_run(self, run_id: str, by: str) -> bool:
        # Only a run still running: one that ended (in the same request, before this one
        # began; or a slow holder that finished after all) keeps how it ended.
        result = self.session.execute(
            update(t.billing_runs)
            .where(R.id == run_id, R.status == RUNNING)
            .values(status=ABANDONED.value, abandoned_by=by)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def run_dispatched(
        self, run_id: str, jobs: int, at: datetime, lease_until: datetime | None = None
    ) -> None:
        self.session.execute(
            update(t.billing_runs)
            .where(R.id == run_id)
            .values(
                jobs=jobs,
                **_progress(at, lease_until),
                **_finished_if(R.jobs_done >= jobs, at),
            )
        )

    def run_job_done(
        self, run_id: str, job: int, at: datetime, lease_until: datetime | None = None
    ) -> bool:
        dialect = self.session.get_bind().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        inserted = self.session.execute(
            make(t.billing_run_jobs)
            .values(run_id=run_id, job=job, done_at=at)
            .on_conflict_do_nothing()
            .returning(t.billing_run_jobs.c.job)
        ).first()
        if inserted is None:
            return False
        # The row is held by this UPDATE until commit, so jobs finishing at once count in
        # turn and exactly one of them sees the last one done.
        complete = R.jobs.is_not(None) & (R.jobs_done + 1 >= R.jobs)
        self.session.execute(
            update(t.billing_runs)
            .where(R.id == run_id)
            .values(
                jobs_done=R.jobs_done + 1,
                **_progress(at, lease_until),
                **_finished_if(complete, at),
            )
        )
        return True

    def runs(self, organization_id: str, limit: int) -> Sequence[RunRecord]:
        q = (
            select(t.billing_runs)
            .where(or_(R.organization_id == organization_id, R.organization_id.is_(None)))
            .order_by(R.started_at.desc(), R.id)
            .limit(limit)
        )
        return [_record(row) for row in self.session.execute(q)]

    def run_invoices(
        self,
        organization_id: str,
        run_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[MadeInvoice]:
        q = select(*_MADE).where(
            INV.billing_run_id == run_id, INV.organization_id == organization_id
        )
        return [_made(row) for row in self.session.execute(page_after(q, t.invoices, after, limit))]

    def first_run_invoices(
        self, organization_id: str, run_ids: Sequence[str], limit: int
    ) -> Mapping[str, Sequence[MadeInvoice]]:
        found: dict[str, list[MadeInvoice]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return found
        place = (
            func.row_number()
            .over(partition_by=INV.billing_run_id, order_by=(INV.created_at, INV.id))
            .label("place")
        )
        ranked = (
            select(INV.billing_run_id, *_MADE, place)
            .where(INV.billing_run_id.in_(run_ids), INV.organization_id == organization_id)
            .subquery()
        )
        q = (
            select(ranked)
            .where(ranked.c.place <= limit)
            .order_by(ranked.c.billing_run_id, ranked.c.place)
        )
        for row in self.session.execute(q):
            found[row.billing_run_id].append(_made(row))
        return found


INV = t.invoices.c
_MADE = (INV.id, INV.number, INV.status, INV.account_id, INV.subscription_id, INV.created_at)


def _made(row: Row[Any]) -> MadeInvoice:
    r = row._mapping
    return MadeInvoice(
        r["id"], r["number"], r["status"], r["account_id"], r["subscription_id"], r["created_at"]
    )


def _progress(at: datetime, lease_until: datetime | None) -> dict[str, Any]:
    """SET clauses for progress made at ``at``; the lease runs on to ``lease_until`` (the
    lease of the process that made it), or stays as it is when not given."""
    return (
        {"progress_at": at}
        if lease_until is None
        else {"progress_at": at, "lease_until": lease_until}
    )


def _finished_if(complete: ColumnElement[bool], at: datetime) -> dict[str, Any]:
    """SET clauses that finish the run when ``complete`` holds (on the row's old values)."""
    return {
        "status": case((complete, FINISHED.value), else_=R.status),
        "finished_at": case((complete, literal(at, R.finished_at.type)), else_=R.finished_at),
        "abandoned_by": case((complete, null()), else_=R.abandoned_by),
    }


def _record(row: Row[Any]) -> RunRecord:
    return RunRecord(**{**row._mapping, "errors": tuple(row.errors)})


def _run_values(run: RunRecord) -> dict[str, Any]:
    return {**run.__dict__, "errors": list(run.errors)}
