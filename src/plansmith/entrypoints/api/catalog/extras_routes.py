"""The add-ons, extra packs and price list part of the /v1 catalog API. Add-ons and extra packs
are created, read, patched and archived through the catalog extras use cases; the price list
(`GET /v1/pricing`) is the one read a publishable key (pk_...) may make, in the URL or as a
bearer token, and then sees only the public channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from plansmith.application.catalog import extras
from plansmith.application.kernel.errors import Unauthorized
from plansmith.application.organizations.api_keys import (
    PUBLISHABLE,
    PUBLISHABLE_KEY_PREFIX,
    authenticate_api_key,
)
from plansmith.domain.catalog.plans import Channel
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.api.catalog.routes import quote_out
from plansmith.entrypoints.api.catalog.schemas import (
    AddOnBody,
    AddOnOut,
    AddOnUpdate,
    ExtraPackBody,
    ExtraPackOut,
    ExtraPackUpdate,
    OfferOut,
)
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW, bearer
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut, OneOf, Patch
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["catalog"]


def _patched(current: BaseModel, full: type[BaseModel], patch: Patch) -> dict[str, Any]:
    """A PATCH applied to what is stored: the full definition the update use case takes."""
    stored = current.model_dump()
    base = {key: stored[key] for key in full.model_fields if key in stored}
    return base | patch.changes()


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
