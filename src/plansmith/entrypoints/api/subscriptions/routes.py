"""The subscriptions part of the /v1 API: subscribe, change (or preview a change), cancel,
reactivate, pause, resume, the renewal step, and what an account holds per plan family.

The API acts for the organization (actor "operator"). A preview runs the very same use case
and saves nothing, so it always equals the change that follows.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Query

from plansmith.application.billing import immediate
from plansmith.application.subscriptions import actions, queries, subscribing
from plansmith.application.subscriptions import lifecycle as subs
from plansmith.application.usage import prediction
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.subscriptions.subscription import Status
from plansmith.entrypoints.api.deps import CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut, OneOf
from plansmith.entrypoints.api.subscriptions.prediction_schemas import ChangeEffectOut
from plansmith.entrypoints.api.subscriptions.result_schemas import (
    ResultOut,
    StoredEventOut,
    StoredItemOut,
)
from plansmith.entrypoints.api.subscriptions.schemas import (
    AdvancedOut,
    CancelRequest,
    ChangeRequest,
    FamilyPlansOut,
    NoticeOut,
    RenewalFailureOut,
    SubscriptionCreate,
    SubscriptionOut,
)
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["subscriptions"]
ACTOR = subs.OPERATOR
ID = "/subscriptions/{subscription_id}"


def _out(view: subs.SubscriptionView) -> SubscriptionOut:
    return SubscriptionOut.of(view, view.family_code)


def _result(result: subs.Result) -> ResultOut:
    return ResultOut.of(result, result.view.family_code)


def _change(body: ChangeRequest) -> actions.ChangeInput:
    return actions.ChangeInput(**body.model_dump())


@router.post(
    "/subscriptions",
    operation_id="create_subscription",
    responses=problems(
        ec.NOT_FOUND, ec.ALREADY_SUBSCRIBED, ec.PLAN_ARCHIVED, ec.NOT_PUBLISHED, ec.TRIAL_USED
    ),
    status_code=201,
    response_model=SubscriptionOut,
    tags=TAGS,
)
def subscribe(
    body: SubscriptionCreate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> SubscriptionOut:
    """Start today (the account's local date): a trial, or a first period charged in advance."""
    result = subscribing.subscribe(
        uow, clock, org.id, subscribing.SubscribeInput(**body.model_dump()), ACTOR
    )
    return _out(result.view)


@router.get(
    "/subscriptions",
    operation_id="list_subscriptions",
    response_model=ListOut[SubscriptionOut],
    tags=TAGS,
)
def list_subscriptions(
    org: CurrentOrg,
    uow: UoW,
    account_id: Annotated[str | None, Query()] = None,
    status: Annotated[
        Annotated[str, OneOf(Status)] | None,
        Query(description="trialing, active, ... expired"),
    ] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[SubscriptionOut]:
    page = queries.list_subscriptions(
        uow, org.id, account_id=account_id, status=status, cursor=cursor, limit=limit
    )
    return ListOut[SubscriptionOut](
        data=[_out(v) for v in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.post(
    "/subscriptions/advance",
    operation_id="advance_subscriptions",
    response_model=AdvancedOut,
    tags=TAGS,
)
def advance(org: CurrentOrg, uow: UoW, clock: OrgClock) -> AdvancedOut:
    """The renewal step for the organization: every subscription whose period ended by now."""
    as_of = clock.now()
    done = actions.advance_due(uow, clock, org.id)
    failed = [RenewalFailureOut(**f.__dict__) for f in done.failed]
    return AdvancedOut(
        as_of=as_of, renewed=done.renewed, items=done.items, skipped=done.skipped, failed=failed
    )


@router.get(ID, operation_id="get_subscription", response_model=SubscriptionOut, tags=TAGS)
def get_subscription(subscription_id: str, org: CurrentOrg, uow: UoW) -> SubscriptionOut:
    return _out(queries.get_subscription(uow, org.id, subscription_id))


@router.get(
    f"{ID}/items",
    operation_id="list_subscription_items",
    response_model=ListOut[StoredItemOut],
    tags=TAGS,
)
def list_items(
    subscription_id: str,
    org: CurrentOrg,
    uow: UoW,
    pending: Annotated[bool, Query(description="Only items no invoice took yet")] = False,
) -> ListOut[StoredItemOut]:
    """Billable items the subscription made, in the order of the events that made them."""
    items = queries.subscription_items(uow, org.id, subscription_id, pending_only=pending)
    return ListOut[StoredItemOut](data=[StoredItemOut.stored(i) for i in items])


@router.get(
    f"{ID}/events",
    operation_id="list_subscription_events",
    response_model=ListOut[StoredEventOut],
    tags=TAGS,
)
def list_events(subscription_id: str, org: CurrentOrg, uow: UoW) -> ListOut[StoredEventOut]:
    events = queries.subscription_events(uow, org.id, subscription_id)
    return ListOut[StoredEventOut](data=[StoredEventOut.stored(e) for e in events])


@router.get(
    f"{ID}/notices",
    operation_id="list_subscription_notices",
    response_model=ListOut[NoticeOut],
    tags=TAGS,
)
def list_notices(subscription_id: str, org: CurrentOrg, uow: UoW) -> ListOut[NoticeOut]:
    """What the subscriber is told before a plan-version move takes effect."""
    notices = queries.subscription_notices(uow, org.id, subscription_id)
    return ListOut[NoticeOut](data=[NoticeOut.of(n) for n in notices])


# A preview answers exactly what the change itself would: it is the same computation.
CHANGE_REFUSALS = problems(
    ec.SUBSCRIPTION_CONFLICT,
    ec.INVALID_TRANSITION,
    ec.TRIAL_EXPIRED,
    ec.CHANGE_NOT_ALLOWED_NOW,
    ec.CYCLE_CHANGE_NOT_ALLOWED,
    ec.CANCEL_SCHEDULED,
    ec.PLAN_ARCHIVED,
)


@router.post(
    f"{ID}/changes/preview",
    operation_id="preview_change",
    responses=CHANGE_REFUSALS,
    response_model=ResultOut,
    tags=TAGS,
)
def preview_change(
    subscription_id: str, body: ChangeRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> ResultOut:
    """What the change would do and the next invoice after it, and `prediction`: the
    period's estimate before and after it (so far and at the end, as
    `GET /v1/accounts/{account_id}/prediction` computes them); nothing is saved."""
    effect = prediction.change_effect(
        uow, clock, org.id, subscription_id, _change(body), actor=ACTOR
    )
    out = _result(effect.result)
    out.prediction = ChangeEffectOut.of(effect)
    return out


@router.post(
    f"{ID}/changes",
    operation_id="change_subscription",
    responses=CHANGE_REFUSALS,
    response_model=ResultOut,
    tags=TAGS,
)
def change(
    subscription_id: str, body: ChangeRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> ResultOut:
    """Change plan, cycle, seats or add-ons: now with daily proration, or at the term end.
    The change's items are invoiced at once when the family's ``change_invoicing`` policy
    is ``immediately``; otherwise they wait for the next invoice."""
    done = immediate.change_subscription(
        uow, clock, org.id, subscription_id, _change(body), actor=ACTOR
    )
    return _result(done.result)


@router.delete(
    f"{ID}/scheduled_change",
    operation_id="withdraw_scheduled_change",
    responses=problems(ec.NOTHING_SCHEDULED, ec.CONCURRENT_CHANGE),
    response_model=ResultOut,
    tags=TAGS,
)
def withdraw_scheduled_change(
    subscription_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> ResultOut:
    """Withdraw the change waiting for the end of the term."""
    result = actions.withdraw_scheduled_change(uow, clock, org.id, subscription_id, actor=ACTOR)
    return _result(result)


@router.post(
    f"{ID}/cancel/preview",
    operation_id="preview_cancel",
    responses=problems(ec.INVALID_TRANSITION, ec.TRIAL_EXPIRED, ec.CANCEL_SCHEDULED),
    response_model=ResultOut,
    tags=TAGS,
)
def preview_cancel(
    subscription_id: str, body: CancelRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> ResultOut:
    result = actions.cancel_subscription(
        uow, clock, org.id, subscription_id, body.when, actor=ACTOR, preview=True
    )
    return _result(result)


@router.post(
    f"{ID}/cancel",
    operation_id="cancel_subscription",
    responses=problems(ec.INVALID_TRANSITION, ec.TRIAL_EXPIRED, ec.CANCEL_SCHEDULED),
    response_model=ResultOut,
    tags=TAGS,
)
def cancel(
    subscription_id: str, body: CancelRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> ResultOut:
    """term_end: nothing more is billed, reactivate withdraws it. now: the rest is credited."""
    result = actions.cancel_subscription(
        uow, clock, org.id, subscription_id, body.when, actor=ACTOR
    )
    return _result(result)


@router.post(
    f"{ID}/reactivate",
    operation_id="reactivate_subscription",
    responses=problems(
        ec.NOT_CANCELED, ec.INVALID_TRANSITION, ec.TRIAL_EXPIRED, ec.ALREADY_SUBSCRIBED
    ),
    response_model=ResultOut,
    tags=TAGS,
)
def reactivate(subscription_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> ResultOut:
    """Withdraw a cancellation at term end, or bring a canceled subscription back today."""
    result = actions.reactivate_subscription(uow, clock, org.id, subscription_id, actor=ACTOR)
    return _result(result)


@router.post(
    f"{ID}/pause",
    operation_id="pause_subscription",
    responses=problems(ec.INVALID_TRANSITION, ec.TRIAL_EXPIRED),
    response_model=ResultOut,
    tags=TAGS,
)
def pause(subscription_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> ResultOut:
    """Stop service today; the rest of the period is credited."""
    result = actions.pause_subscription(uow, clock, org.id, subscription_id, actor=ACTOR)
    return _result(result)


@router.post(
    f"{ID}/resume",
    operation_id="resume_subscription",
    responses=problems(ec.NOT_PAUSED, ec.INVALID_TRANSITION),
    response_model=ResultOut,
    tags=TAGS,
)
def resume(subscription_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> ResultOut:
    """Back in service today; the rest of the period is charged, the billing day kept."""
    result = actions.resume_subscription(uow, clock, org.id, subscription_id, actor=ACTOR)
    return _result(result)


@router.get(
    "/accounts/{account_id}/plans",
    operation_id="list_account_plans",
    response_model=ListOut[FamilyPlansOut],
    tags=TAGS,
)
def account_plans(account_id: str, org: CurrentOrg, uow: UoW) -> ListOut[FamilyPlansOut]:
    """Per family (by code): the plan held now, the newest subscription, and the history."""
    plans = queries.account_plans(uow, org.id, account_id)
    return ListOut[FamilyPlansOut](data=[FamilyPlansOut.of(p) for p in plans])
