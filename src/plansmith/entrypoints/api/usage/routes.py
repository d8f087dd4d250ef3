"""The usage part of the /v1 API: meters, usage events in (one or a batch of up to 1,000),
an account's usage over a billing period, and the grace window for late events.

A single event that is refused answers its problem (404 ``account_not_found``, 409
``duplicate``, 422 ``period_closed``...). A batch answers 200 with one answer per event, in
order; only a batch that cannot be read, or holds over 1,000 events, is refused whole (422),
with nothing counted. Meters are never changed once made: there is no update.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from fastapi import Response

from plansmith.application.usage import meters, prediction, queries, settings
from plansmith.application.usage.ingest import ACCEPTED, ingest
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.api.deps import CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.api.subscriptions.prediction_schemas import PredictionOut
from plansmith.entrypoints.api.usage.schemas import (
    BatchOut,
    EventAnswerOut,
    MeterCreate,
    MeterOut,
    UsageBatchIn,
    UsageEventIn,
    UsageOut,
    UsageSettingsIn,
    UsageSettingsOut,
    batch_json,
)
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["usage"]
SETTINGS = "/organization/usage_settings"
EVENT_REFUSALS = (
    ec.ACCOUNT_NOT_FOUND,
    ec.DUPLICATE,
    ec.UNKNOWN_CODE,
    ec.PERIOD_CLOSED,
    ec.BEFORE_SUBSCRIPTION,
    ec.NO_SUBSCRIPTION,
    ec.PROPERTY_MISSING,
    ec.PROPERTY_NOT_NUMERIC,
    ec.PROPERTY_NEGATIVE,
    ec.LIMIT_EXCEEDED,
)


class EventRefusal(DomainError):
    """A single event's refusal, answered as its problem."""


@router.post(
    "/meters",
    operation_id="create_meter",
    status_code=201,
    response_model=MeterOut,
    responses=problems(ec.DUPLICATE_CODE, ec.INVALID_CODE),
    tags=TAGS,
)
def create_meter(body: MeterCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> MeterOut:
    """A meter over the usage events of `event_code`. It never changes once made (a change
    would rewrite the usage counted); make another one instead."""
    return MeterOut.of(meters.create_meter(uow, clock, org.id, body.model_dump()))


@router.get("/meters", operation_id="list_meters", response_model=ListOut[MeterOut], tags=TAGS)
def list_meters(org: CurrentOrg, uow: UoW) -> ListOut[MeterOut]:
    """The organization's meters, oldest first."""
    return ListOut[MeterOut](data=[MeterOut.of(m) for m in meters.list_meters(uow, org.id)])


@router.get("/meters/{meter_code}", operation_id="get_meter", response_model=MeterOut, tags=TAGS)
def get_meter(meter_code: str, org: CurrentOrg, uow: UoW) -> MeterOut:
    return MeterOut.of(meters.get_meter(uow, org.id, meter_code))


@router.post(
    "/events",
    operation_id="send_usage_event",
    status_code=201,
    response_model=EventAnswerOut,
    responses=problems(*EVENT_REFUSALS),
    tags=TAGS,
)
def send_usage_event(
    body: UsageEventIn, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> EventAnswerOut:
    """One usage event, counted once by its `id` per account. Refused as its problem when
    it does not count (a duplicate, a closed period, an unknown meter code...)."""
    [answer] = ingest(uow, clock, org.id, [body.model_dump(exclude_none=True)])
    if answer.status != ACCEPTED:
        code = ec.lookup(answer.code or str(ec.INVALID_VALUE))
        raise EventRefusal(answer.message or "the event was refused", field=answer.field, code=code)
    return EventAnswerOut.of(answer)


@router.post(
    "/events/batch",
    operation_id="send_usage_events",
    response_model=BatchOut,
    responses=problems(ec.BATCH_TOO_LARGE),
    tags=TAGS,
)
def send_usage_events(body: UsageBatchIn, org: CurrentOrg, uow: UoW, clock: OrgClock) -> Response:
    """Up to 1,000 usage events. Each is answered on its own, in order: accepted, or
    rejected with its code, message and field (`events[3].timestamp`). The accepted ones are
    written together with the usage they add, in one transaction."""
    answers = ingest(uow, clock, org.id, body.events)
    # Written straight to JSON (BatchOut is the response_model the docs show): FastAPI would
    # otherwise turn the 1,000 answers into dicts and encode those again.
    return Response(batch_json(answers), media_type="application/json")


@router.get(
    "/accounts/{account_id}/usage",
    operation_id="get_account_usage",
    response_model=UsageOut,
    responses=problems(ec.NO_SUBSCRIPTION, ec.BEFORE_SUBSCRIPTION),
    tags=TAGS,
)
def get_account_usage(
    account_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock, at: date | None = None
) -> UsageOut:
    """Each meter's value over the account's billing period holding today, or the local
    date `at`; from the daily aggregates, as they stand."""
    return UsageOut.of(queries.account_usage(uow, clock, org.id, account_id, at))


@router.get(
    "/accounts/{account_id}/prediction",
    operation_id="get_invoice_prediction",
    response_model=PredictionOut,
    tags=TAGS,
)
def get_invoice_prediction(
    account_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> PredictionOut:
    """Seed 004's invoice prediction: for each subscription, what its current billing period
    is worth so far and what it will be worth at its end (recurring by the days held, usage
    from the daily aggregates projected at its daily rate), with the lines, the method, and
    the totals per currency."""
    return PredictionOut.of(prediction.account_prediction(uow, clock, org.id, account_id))


@router.get(SETTINGS, operation_id="get_usage_settings", response_model=UsageSettingsOut, tags=TAGS)
def get_usage_settings(org: CurrentOrg, uow: UoW) -> UsageSettingsOut:
    """How long after a billing period ends its late usage events are still accepted
    (default 3,600 seconds)."""
    grace = settings.event_grace(uow, org.id)
    return UsageSettingsOut(event_grace_seconds=int(grace.total_seconds()))


@router.post(
    SETTINGS, operation_id="update_usage_settings", response_model=UsageSettingsOut, tags=TAGS
)
def update_usage_settings(
    body: UsageSettingsIn, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> UsageSettingsOut:
    """Set the grace window: 0 to 604,800 seconds (7 days), measured on receipt."""
    grace = settings.set_event_grace(uow, clock, org.id, body.event_grace_seconds)
    return UsageSettingsOut(event_grace_seconds=int(grace.total_seconds()))
