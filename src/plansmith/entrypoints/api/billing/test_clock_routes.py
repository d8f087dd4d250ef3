"""The test clock of a sandbox organization: read it, advance it (billing on the way).

`POST /v1/test_clock/advance` takes an Idempotency-Key like every POST: a retried request
replays the first answer instead of advancing again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from plansmith.application.billing import test_clocks
from plansmith.application.billing.ports import MadeInvoice
from plansmith.application.payments import clock as payment_clock
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.invoicing.run_schemas import (
    RUN_INVOICES_SHOWN,
    RunInvoicesOut,
    run_invoices,
)
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import Strict
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["test_clocks"]


class TestClockOut(BaseModel):
    __test__ = False  # not a pytest test class

    object: str = "test_clock"
    organization_id: str
    sandbox: bool
    frozen_at: datetime | None = Field(description="The sandbox's instant; null when live")
    now: datetime = Field(description="The instant the organization's use cases run at")


def _text(value: object) -> object:
    """An instant is sent as ISO 8601 text, as the document says: not a number of seconds."""
    if not isinstance(value, str):
        raise ValueError("give an instant as ISO 8601 text, e.g. 2028-01-31T00:00:00+00:00")
    return value


class AdvanceRequest(Strict):
    to: Annotated[datetime, BeforeValidator(_text)] = Field(
        description="An instant with its UTC offset, not before the clock, at most 5 years on",
        examples=["2028-01-31T00:00:00+00:00"],
    )


class StepOut(BaseModel):
    at: datetime
    billing_run_id: str
    renewed: int
    invoiced: int
    finalized: int
    errors: int
    invoices: RunInvoicesOut = Field(
        description=f"The invoices this step's run made, the first {RUN_INVOICES_SHOWN}; "
        "`has_more`: the rest are at `url`"
    )


class AdvanceOut(BaseModel):
    object: str = "test_clock_advance"
    organization_id: str
    previous: datetime
    frozen_at: datetime
    renewed: int
    invoiced: int
    finalized: int
    steps: list[StepOut]
    errors: list[dict[str, str]]

    @classmethod
    def of(
        cls, done: test_clocks.ClockAdvance, made: Mapping[str, Sequence[MadeInvoice]]
    ) -> AdvanceOut:
        """``made``: per step's run, its first ``RUN_INVOICES_SHOWN + 1`` invoices."""
        return cls(
            organization_id=done.organization_id,
            previous=done.previous,
            frozen_at=done.now,
            renewed=done.renewed,
            invoiced=done.invoiced,
            finalized=done.finalized,
            steps=[
                StepOut(
                    at=s.at,
                    billing_run_id=s.run.id,
                    renewed=s.run.renewed,
                    invoiced=s.run.invoiced,
                    finalized=s.run.finalized,
                    errors=len(s.run.errors),
                    invoices=run_invoices(s.run.id, made[s.run.id], RUN_INVOICES_SHOWN),
                )
                for s in done.steps
            ],
            errors=list(done.errors),
        )


@router.get("/test_clock", operation_id="get_test_clock", response_model=TestClockOut, tags=TAGS)
def get_test_clock(org: CurrentOrg, clock: OrgClock) -> TestClockOut:
    """Whether the organization is a sandbox, and the instant its clock stands at."""
    return TestClockOut(
        organization_id=org.id, sandbox=org.sandbox, frozen_at=org.test_clock_at, now=clock.now()
    )


@router.post(
    "/test_clock/advance",
    operation_id="advance_test_clock",
    responses=problems(ec.NOT_SANDBOX),
    response_model=AdvanceOut,
    tags=TAGS,
)
def advance_test_clock(
    body: AdvanceRequest, org: CurrentOrg, uow: UoW, app: Container
) -> AdvanceOut:
    """Move a sandbox's clock forward to `to`: every renewal, trial end, scheduled change and
    draft finalization on the way runs at its own instant, in order. 409 `not_sandbox` for a
    live organization; 422 naming `to` for an instant before the clock, without an offset, or
    more than 5 years on."""
    gateway = app.gateway_for(org.id)
    done = payment_clock.advance_clock(
        uow, gateway, org.id, body.to, app.invoice_grace, watch=app.watch
    )
    with uow:
        made = uow.billing_runs.first_run_invoices(
            org.id, [s.run.id for s in done.steps], RUN_INVOICES_SHOWN + 1
        )
    return AdvanceOut.of(done, made)
