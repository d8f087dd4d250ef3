"""The catalog part of the /v1 API: families, plans and versions, add-ons, extra packs, prices."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from plansmith.adapters.money_format import format_money
from plansmith.application.catalog import extras
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.kernel.errors import Unauthorized
from plansmith.application.organizations.api_keys import (
    PUBLISHABLE,
    PUBLISHABLE_KEY_PREFIX,
    authenticate_api_key,
)
from plansmith.domain.catalog.plans import Channel
from plansmith.domain.catalog.pricing import Quote
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.api.catalog.schemas import (
    AddOnBody,
    AddOnOut,
    AddOnUpdate,
    CopyRequest,
    DraftUpdate,
    ExtraPackBody,
    ExtraPackOut,
    ExtraPackUpdate,
    FamilyCreate,
    FamilyOut,
    FamilyUpdate,
    OfferOut,
    PlanCreate,
    PlanOut,
    PlanQuoteOut,
    PlanUpdate,
    PublishedOut,
    PublishRequest,
    QuoteOut,
    VersionOut,
)
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW, bearer
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import AtMost, ListOut, OneOf, Patch

router = APIRouter(prefix="/v1")
TAGS: list[str | Enum] = ["catalog"]


def formula(q: Quote, locale: str = "en_US") -> str:
    """Seed 002's "Total = Price x Quantity", in figures."""
    unit = format_money(q.unit_price, locale)
    return f"{unit} × {q.quantity} = {format_money(q.total_price, locale)}"


def _patched(current: BaseModel, full: type[BaseModel], patch: Patch) -> dict[str, Any]:
    """A PATCH applied to what is stored: the full definition the update use case takes."""
    stored = current.model_dump()
    base = {key: stored[key] for key in full.model_fields if key in stored}
    return base | patch.changes()


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
    result = cat.publish_plan(
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


@router.post(
    "/add_ons",
    operation_id="create_add_on",
    responses=problems(ec.DUPLICATE_CODE),
    status_code=201,
    response_model=AddOnOut,
    tags=TAGS,
)
def create_add_on(body: AddOnBody, org: CurrentOrg, uow: UoW, clock: OrgClock) -> AddOnOut:
    data = extras.AddOnInput(**body.model_dump())
    return AddOnOut.of(extras.create_add_on(uow, clock, org.id, data))


@router.get("/add_ons", operation_id="list_add_ons", response_model=ListOut[AddOnOut], tags=TAGS)
def list_add_ons(org: CurrentOrg, uow: UoW) -> ListOut[AddOnOut]:
    return ListOut[AddOnOut](data=[AddOnOut.of(a) for a in extras.list_add_ons(uow, org.id)])


@router.get("/add_ons/{add_on_id}", operation_id="get_add_on", response_model=AddOnOut, tags=TAGS)
def get_add_on(add_on_id: str, org: CurrentOrg, uow: UoW) -> AddOnOut:
    return AddOnOut.of(extras.get_add_on(uow, org.id, add_on_id))


@router.patch(
    "/add_ons/{add_on_id}",
    operation_id="update_add_on",
    responses=problems(ec.PRICE_IN_USE),
    response_model=AddOnOut,
    tags=TAGS,
)
def update_add_on(add_on_id: str, body: AddOnUpdate, org: CurrentOrg, uow: UoW) -> AddOnOut:
    current = AddOnOut.of(extras.get_add_on(uow, org.id, add_on_id))
    merged = _patched(current, AddOnBody, body)
    return AddOnOut.of(extras.update_add_on(uow, org.id, add_on_id, extras.AddOnInput(**merged)))


@router.post(
    "/add_ons/{add_on_id}/archive",
    operation_id="archive_add_on",
    response_model=AddOnOut,
    tags=TAGS,
)
def archive_add_on(add_on_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> AddOnOut:
    return AddOnOut.of(extras.archive_add_on(uow, clock, org.id, add_on_id))


@router.post(
    "/extra_packs",
    operation_id="create_extra_pack",
    responses=problems(ec.DUPLICATE_CODE),
    status_code=201,
    response_model=ExtraPackOut,
    tags=TAGS,
)
def create_extra_pack(
    body: ExtraPackBody, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> ExtraPackOut:
    data = extras.ExtraPackInput(**body.model_dump())
    return ExtraPackOut.of(extras.create_extra_pack(uow, clock, org.id, data))


@router.get(
    "/extra_packs",
    operation_id="list_extra_packs",
    response_model=ListOut[ExtraPackOut],
    tags=TAGS,
)
def list_extra_packs(org: CurrentOrg, uow: UoW) -> ListOut[ExtraPackOut]:
    packs = extras.list_extra_packs(uow, org.id)
    return ListOut[ExtraPackOut](data=[ExtraPackOut.of(p) for p in packs])


@router.get(
    "/extra_packs/{pack_id}", operation_id="get_extra_pack", response_model=ExtraPackOut, tags=TAGS
)
def get_extra_pack(pack_id: str, org: CurrentOrg, uow: UoW) -> ExtraPackOut:
    return ExtraPackOut.of(extras.get_extra_pack(uow, org.id, pack_id))


@router.patch(
    "/extra_packs/{pack_id}",
    operation_id="update_extra_pack",
    response_model=ExtraPackOut,
    tags=TAGS,
)
def update_extra_pack(
    pack_id: str, body: ExtraPackUpdate, org: CurrentOrg, uow: UoW
) -> ExtraPackOut:
    current = ExtraPackOut.of(extras.get_extra_pack(uow, org.id, pack_id))
    merged = _patched(current, ExtraPackBody, body)
    pack = extras.update_extra_pack(uow, org.id, pack_id, extras.ExtraPackInput(**merged))
    return ExtraPackOut.of(pack)


@router.post(
    "/extra_packs/{pack_id}/archive",
    operation_id="archive_extra_pack",
    response_model=ExtraPackOut,
    tags=TAGS,
)
def archive_extra_pack(pack_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> ExtraPackOut:
    return ExtraPackOut.of(extras.archive_extra_pack(uow, clock, org.id, pack_id))


@dataclass(frozen=True)
class PricingReader:
    organization: Organization
    publishable: bool  # a pk_ key: the public channels only


def pricing_reader(
    app: Container,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    key: Annotated[str | None, Query(description="A publishable key, pk_...")] = None,
) -> PricingReader:
    secret = credentials.credentials if credentials else key
    if not secret:
        raise Unauthorized("send a publishable key as ?key=pk_... or 'Authorization: Bearer'")
    if credentials is None and not secret.startswith(PUBLISHABLE_KEY_PREFIX):
        # URLs end up in logs and browser history: only publishable keys may travel there.
        raise Unauthorized("only a publishable key (pk_...) may be sent in the URL")
    caller = authenticate_api_key(app.uow(), app.clock, app.key_uses, secret, publishable_ok=True)
    return PricingReader(caller.organization, publishable=caller.key.kind == PUBLISHABLE)


@router.get("/pricing", operation_id="get_pricing", response_model=ListOut[OfferOut], tags=TAGS)
def pricing(
    reader: Annotated[PricingReader, Depends(pricing_reader)],
    uow: UoW,
    channel: Annotated[
        str, OneOf(Channel), Query(description="signup, website, portal or internal")
    ] = "website",
    currency: Annotated[str | None, Query()] = None,
) -> ListOut[OfferOut]:
    """The price list of one channel. A publishable key (pk_...) reads the public channels
    (signup, website, portal); for `internal` it gets an empty list. A secret key reads all."""
    offers = extras.offers(
        uow, reader.organization.id, channel, currency, public_only=reader.publishable
    )
    data = []
    for offer in offers:
        terms = offer.version.terms
        data.append(
            OfferOut(
                plan_id=offer.view.plan.id,
                plan_code=offer.view.plan.code,
                family=offer.view.family.code,
                rank=offer.view.plan.rank,
                version_id=offer.version.id,
                name=offer.version.name,
                description=terms.description,
                pricing=terms.pricing.value,
                min_seats=terms.min_seats,
                max_seats=terms.max_seats,
                trial_days=terms.trial_days,
                allowances=dict(terms.allowances),
                features=sorted(terms.features),
                quotes=[quote_out(q) for q in offer.quotes],
            )
        )
    return ListOut[OfferOut](data=data)
