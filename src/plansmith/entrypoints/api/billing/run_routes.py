"""The billing runs part of the /v1 API: start a run for the key's organization, list its recent
runs, read one, and page through the invoices a run made. A run goes through the billing run use
case (its own transactions); the reads open the unit of work and read the run records through
the billing runs port. Runs over every organization name other tenants' subscriptions, so a run
of another organization is a 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Annotated

from fastapi import Query

from plansmith.application.billing import run as billing
from plansmith.application.billing.ports import RunRecord
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.invoicing.run_schemas import (
    RUN_INVOICES_SHOWN,
    BillingRunOut,
    MadeInvoiceOut,
)
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["invoicing"]
# Runs are listed from this many of the newest, once other organizations' are left out.
RUNS_READ = 500


@router.post(
    "/billing_runs",
    operation_id="run_billing",
    status_code=201,
    response_model=BillingRunOut,
    tags=TAGS,
)
def run_billing(org: CurrentOrg, uow: UoW, app: Container, clock: OrgClock) -> BillingRunOut:
    """Renew what is due, invoice what is pending and finalize drafts past their grace period,
    for your organization, as of now. Running it again creates nothing new. The answer names
    the invoices the run made (the first ones; the rest at `invoices.url`)."""
    record = billing.run_billing(uow, clock, org.id, grace=app.invoice_grace, watch=app.watch)
    return _runs_out(uow, org.id, [record])[0]


def _runs_out(
    uow: UnitOfWork, organization_id: str, runs: Sequence[RunRecord]
) -> list[BillingRunOut]:
    """The runs, each with the first invoices it made (one query for them all)."""
    with uow:
        made = uow.billing_runs.first_run_invoices(
            organization_id, [r.id for r in runs], RUN_INVOICES_SHOWN + 1
        )
    return [BillingRunOut.of(r, made[r.id]) for r in runs]


def _own_run(uow: UnitOfWork, organization_id: str, run_id: str) -> RunRecord:
    """The organization's run. Runs over every organization (`plansmith bill --all`) count and
    name other tenants' subscriptions: an organization sees only its own."""
    with uow:
        run = uow.billing_runs.get_run(run_id)
    if run is None or run.organization_id != organization_id:
        raise NotFound(f"no billing run {run_id!r}", field="run_id")
    return run


@router.get(
    "/billing_runs",
    operation_id="list_billing_runs",
    response_model=ListOut[BillingRunOut],
    tags=TAGS,
)
def list_billing_runs(
    org: CurrentOrg, uow: UoW, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> ListOut[BillingRunOut]:
    """Your organization's most recent runs, newest first, with their counts and errors."""
    with uow:
        runs = uow.billing_runs.runs(org.id, RUNS_READ)
    own = [r for r in runs if r.organization_id == org.id][:limit]
    return ListOut[BillingRunOut](data=_runs_out(uow, org.id, own))


@router.get(
    "/billing_runs/{run_id}",
    operation_id="get_billing_run",
    responses=problems(ec.NOT_FOUND),
    response_model=BillingRunOut,
    tags=TAGS,
)
def get_billing_run(run_id: str, org: CurrentOrg, uow: UoW) -> BillingRunOut:
    """One of your runs: its status, counts, errors and the first invoices it made."""
    return _runs_out(uow, org.id, [_own_run(uow, org.id, run_id)])[0]


@router.get(
    "/billing_runs/{run_id}/invoices",
    operation_id="list_billing_run_invoices",
    responses=problems(ec.NOT_FOUND, ec.INVALID_CURSOR),
    response_model=ListOut[MadeInvoiceOut],
    tags=TAGS,
)
def list_billing_run_invoices(
    run_id: str,
    org: CurrentOrg,
    uow: UoW,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[MadeInvoiceOut]:
    """Every invoice the run made, oldest first, paged; each as it stands now (a draft has no
    number yet). A run that made none (e.g. run again) lists none."""
    after, limit = decode_cursor(cursor), check_limit(limit)
    _own_run(uow, org.id, run_id)
    with uow:
        rows = list(uow.billing_runs.run_invoices(org.id, run_id, after, limit + 1))
    page = rows[:limit]
    more = len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return ListOut[MadeInvoiceOut](
        data=[MadeInvoiceOut.of(m) for m in page], next_cursor=next_cursor, has_more=more
    )
