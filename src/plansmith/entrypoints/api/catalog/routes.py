"""The catalog part of the /v1 API: families, plans and their versions (edit, publish, copy,
archive) and a plan's quote. Add-ons, extra packs and the price list are in extras_routes."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Query

from plansmith.adapters.money_format import format_money
from plansmith.application.catalog import extras, publishing
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.domain.catalog.pricing import Quote
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.entrypoints.api.catalog.schemas import (
    CopyRequest,
    DraftUpdate,
    FamilyCreate,
    FamilyOut,
    FamilyUpdate,
    PlanCreate,
    PlanOut,
    PlanQuoteOut,
    PlanUpdate,
    PublishedOut,
    PublishRequest,
    QuoteOut,
    VersionOut,
)
from plansmith.entrypoints.api.deps import CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import AtMost, ListOut
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["catalog"]


def formula(q: Quote, locale: str = "en_US") -> str:
    """Seed 002's "Total = Price x Quantity", in figures."""
    unit = format_money(q.unit_price, locale)
    return f"{unit} × {q.quantity} = {format_money(q.total_price, locale)}"


def quote_out(q: Quote) -> QuoteOut:
    return QuoteOut.of(q, formula(q))


@router.post(
    "/plan_families",
    operation_id="create_plan_family",
    responses=problems(ec.DUPLICATE_CODE),
    status_code=201,
    response_model=FamilyOut,
    tags=TAGS,
)
def create_family(body: FamilyCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> FamilyOut:
    data = families.FamilyInput(body.code, body.name, body.policy)
    return FamilyOut.of(families.create_family(uow, clock, org.id, data))


@router.get(
    "/plan_families",
    operation_id="list_plan_families",
    response_model=ListOut[FamilyOut],
    tags=TAGS,
)
def list_families(org: CurrentOrg, uow: UoW) -> ListOut[FamilyOut]:
    return ListOut[FamilyOut](data=[FamilyOut.of(f) for f in families.list_families(uow, org.id)])


@router.get(
    "/plan_families/{family_id}",
    operation_id="get_plan_family",
    response_model=FamilyOut,
    tags=TAGS,
)
def get_family(family_id: str, org: CurrentOrg, uow: UoW) -> FamilyOut:
    return FamilyOut.of(families.get_family(uow, org.id, family_id))


@router.patch(
    "/plan_families/{family_id}",
    operation_id="update_plan_family",
    response_model=FamilyOut,
    tags=TAGS,
)
def update_family(family_id: str, body: FamilyUpdate, org: CurrentOrg, uow: UoW) -> FamilyOut:
    return FamilyOut.of(families.update_family(uow, org.id, family_id, **body.changes()))


@router.post(
    "/plans",
    operation_id="create_plan",
    responses=problems(ec.NOT_FOUND, ec.DUPLICATE_CODE),
    status_code=201,
    response_model=PlanOut,
    tags=TAGS,
)
def create_plan(body: PlanCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> PlanOut:
    """A plan and its version 1 (a draft unless publish is true)."""
    data = cat.PlanInput(**body.model_dump())
    return PlanOut.of(cat.create_plan(uow, clock, org.id, data))


@router.get("/plans", operation_id="list_plans", response_model=ListOut[PlanOut], tags=TAGS)
def list_plans(org: CurrentOrg, uow: UoW) -> ListOut[PlanOut]:
    return ListOut[PlanOut](data=[PlanOut.of(v) for v in cat.list_plans(uow, org.id)])


@router.get("/plans/{plan_id}", operation_id="get_plan", response_model=PlanOut, tags=TAGS)
def get_plan(plan_id: str, org: CurrentOrg, uow: UoW) -> PlanOut:
    return PlanOut.of(cat.get_plan(uow, org.id, plan_id))


@router.patch("/plans/{plan_id}", operation_id="update_plan", response_model=PlanOut, tags=TAGS)
def update_plan(plan_id: str, body: PlanUpdate, org: CurrentOrg, uow: UoW) -> PlanOut:
    """Rename or re-rank; prices and allowances change through the draft."""
    return PlanOut.of(cat.update_plan(uow, org.id, plan_id, **body.changes()))


@router.patch(
    "/plans/{plan_id}/draft",
    operation_id="edit_plan_draft",
    responses=problems(ec.PLAN_ARCHIVED),
    response_model=VersionOut,
    tags=TAGS,
)
def edit_plan(
    plan_id: str, body: DraftUpdate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> VersionOut:
    """Edit the plan: changes go to its draft, made from the newest version if there is none."""
    version = cat.edit_plan(uow, clock, org.id, plan_id, **body.changes())
    return VersionOut.of(version)


@router.post(
    "/plans/{plan_id}/publish",
    operation_id="publish_plan",
    responses=problems(ec.NO_DRAFT, ec.PLAN_ARCHIVED),
    response_model=PublishedOut,
    tags=TAGS,
)
def publish_plan(
    plan_id: str, body: PublishRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> PublishedOut:
    """Publish the draft. apply_to_existing answers "apply to existing customers?"."""
    result = publishing.publish_plan(
        uow, clock, org.id, plan_id, body.apply_to_existing, legacy_name=body.legacy_name
    )
    return PublishedOut.of(result)


@router.patch(
    "/plans/{plan_id}/versions/{version_id}",
    operation_id="update_plan_version",
    responses=problems(ec.VERSION_IMMUTABLE, ec.PLAN_ARCHIVED),
    response_model=VersionOut,
    tags=TAGS,
)
def change_version(
    plan_id: str, version_id: str, body: DraftUpdate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> VersionOut:
    """A draft takes any change; a published version only a change of channels (409 else)."""
    version = cat.change_version(uow, clock, org.id, plan_id, version_id, **body.changes())
    return VersionOut.of(version)


@router.post(
    "/plans/{plan_id}/copy",
    operation_id="copy_plan",
    responses=problems(ec.DUPLICATE_CODE, ec.CONFLICT),
    status_code=201,
    response_model=PlanOut,
    tags=TAGS,
)
def copy_plan(
    plan_id: str, body: CopyRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> PlanOut:
    """A new plan "Copy of <name>" with a draft holding the newest version's terms."""
    return PlanOut.of(cat.copy_plan(uow, clock, org.id, plan_id, code=body.code, name=body.name))


@router.post(
    "/plans/{plan_id}/archive", operation_id="archive_plan", response_model=PlanOut, tags=TAGS
)
def archive_plan(plan_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> PlanOut:
    """No new sign-ups; existing subscribers keep their version."""
    return PlanOut.of(cat.archive_plan(uow, clock, org.id, plan_id))


@router.get(
    "/plans/{plan_id}/quote",
    operation_id="quote_plan",
    responses=problems(ec.NOT_PUBLISHED),
    response_model=PlanQuoteOut,
    tags=TAGS,
)
def quote_plan(
    plan_id: str,
    org: CurrentOrg,
    uow: UoW,
    cycle: Annotated[str, Query(examples=["year"])],
    currency: Annotated[str, Query(examples=["USD"])],
    quantity: Annotated[int, Query(ge=0), AtMost(MAX_QUANTITY)] = 1,
    version_id: Annotated[str | None, Query()] = None,
) -> PlanQuoteOut:
    """Price x quantity for one cycle, with the cycle discount shown."""
    version, q = extras.quote_plan(
        uow,
        org.id,
        plan_id,
        cycle=cycle,
        currency=currency,
        quantity=quantity,
        version_id=version_id,
    )
    return PlanQuoteOut(plan_id=plan_id, version_id=version.id, quote=quote_out(q))
