"""Response bodies for billing runs and the invoices they made in the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from plansmith.application.billing.ports import MadeInvoice, RunRecord
from plansmith.application.kernel.pagination import encode_cursor
from plansmith.entrypoints.api.schemas import ListOut

# A run's answer embeds this many of the invoices it made, as Stripe embeds 10 lines in an
# invoice; the rest are paged at GET /v1/billing_runs/{id}/invoices.
RUN_INVOICES_SHOWN = 10


class RunErrorOut(BaseModel):
    subscription_id: str | None = None
    invoice_id: str | None = None
    code: str
    message: str


class MadeInvoiceOut(BaseModel):
    object: str = "billing_run_invoice"
    id: str = Field(description="The invoice: GET /v1/invoices/{id}")
    number: str | None = Field(description="null while a draft")
    status: str = Field(description="As it stands now: draft, open, paid, void, uncollectible")
    account_id: str
    subscription_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, made: MadeInvoice) -> MadeInvoiceOut:
        return cls.model_validate(made.__dict__)


class RunInvoicesOut(ListOut[MadeInvoiceOut]):
    """The first invoices a run made, embedded as Stripe embeds a list: the rest are at
    ``url``, from ``next_cursor``."""

    url: str = Field(description="Every invoice the run made, paged: GET this with ?cursor=")


def run_invoices(run_id: str, made: Sequence[MadeInvoice], shown: int) -> RunInvoicesOut:
    """The embedded list from the first ``shown + 1`` invoices of the run (one more says
    whether there are more)."""
    page = list(made[:shown])
    more = len(made) > shown
    return RunInvoicesOut(
        data=[MadeInvoiceOut.of(m) for m in page],
        has_more=more,
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
        url=f"/v1/billing_runs/{run_id}/invoices",
    )


class BillingRunOut(BaseModel):
    object: str = "billing_run"
    id: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None = Field(description="null unless status is finished")
    status: Literal["running", "finished", "failed", "abandoned"] = Field(
        description="failed: an error stopped it; abandoned: its process died, found by "
        "`abandoned_by` (the retry that took over its Idempotency-Key, or a later run once its "
        "lease ran out). The next run bills what it left."
    )
    progress_at: datetime = Field(description="When it last committed work (wall clock)")
    abandoned_by: str | None = Field(description="The run that found it abandoned")
    jobs: int | None = Field(description="Jobs sent to workers; null when run in one process")
    jobs_done: int = Field(description="Jobs the workers finished")
    renewed: int = Field(
        description="Subscriptions that passed at least one period end. Every count is what "
        "was committed, whenever it is read, however the run ended."
    )
    invoiced: int = Field(description="Invoices made")
    finalized: int = Field(description="Invoices finalized (numbered and posted)")
    skipped: int = Field(description="Taken by another worker at the same time")
    errors: list[RunErrorOut] = Field(description="Retried by the next run")
    invoices: RunInvoicesOut = Field(
        description=f"The invoices it made, the first {RUN_INVOICES_SHOWN} (oldest first); "
        "`has_more`: the rest are at `url`"
    )

    @classmethod
    def of(cls, run: RunRecord, made: Sequence[MadeInvoice]) -> BillingRunOut:
        """``made``: the run's first ``RUN_INVOICES_SHOWN + 1`` invoices."""
        invoices = run_invoices(run.id, made, RUN_INVOICES_SHOWN)
        return cls.model_validate(
            {**run.__dict__, "errors": list(run.errors), "invoices": invoices}
        )
