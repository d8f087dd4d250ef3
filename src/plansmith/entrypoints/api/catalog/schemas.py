"""Request and response bodies for the catalog part of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool, StrictInt

from plansmith.application.catalog.plans import PlanView
from plansmith.application.catalog.publishing import Published
from plansmith.domain.catalog.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog.plans import ApplyToExisting, Channel, PlanFamily, PlanVersion
from plansmith.domain.catalog.pricing import Quote
from plansmith.domain.catalog.terms_data import policy_to_data, prices_to_data, terms_to_data
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_PRICE, MAX_RANK
from plansmith.entrypoints.api.schemas import AtMost, OneOf, Patch, Strict

Price = Annotated[StrictInt, AtMost(MAX_PRICE, 0)]
Allowance = Annotated[StrictInt, AtMost(MAX_ALLOWANCE, 0)]
PackAmount = Annotated[StrictInt, AtMost(MAX_ALLOWANCE, 1)]
Rank = Annotated[StrictInt, Field(ge=0, le=MAX_RANK)]
ChannelName = Annotated[str, OneOf(Channel)]

TERMS_HELP = (
    "pricing (flat | per_seat), prices [{currency, cycle, amount}] in minor units, "
    "base_prices {currency: monthly amount}, cycle_discounts {cycle: percent as text}, "
    "min_seats, max_seats, trial_days, allowances {name: amount per period}, features [..], "
    "description, pay_per_day, charges [{meter, currency, included, limit (hard | soft), "
    "model (per_unit | graduated | volume | graduated_percentage | package | percentage), "
    "and the model's prices as decimal text in major units}] (see docs/usage.md)"
)


class FamilyCreate(Strict):
    code: str = Field(examples=["support"])
    name: str = Field(examples=["Support plans"])
    policy: dict[str, Any] | None = Field(
        None,
        description=(
            "upgrade / downgrade / seats_down: now | term_end; cycle_change: bool; "
            "change_invoicing: next_invoice | immediately (when an API change is invoiced)"
        ),
    )


class FamilyUpdate(Patch):
    name: str | None = None
    policy: dict[str, Any] | None = None


class FamilyOut(BaseModel):
    object: str = "plan_family"
    id: str
    code: str
    name: str
    policy: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, family: PlanFamily) -> FamilyOut:
        return cls(
            id=family.id,
            code=family.code,
            name=family.name,
            policy=policy_to_data(family.policy),
            created_at=family.created_at,
        )


class PlanCreate(Strict):
    code: str = Field(examples=["gold"])
    name: str = Field(examples=["Gold"])
    family: str = Field(description="Family code", examples=["service"])
    rank: Rank = Field(0, description="Higher ranks are upgrades within the family")
    terms: dict[str, Any] = Field(description=TERMS_HELP)
    channels: list[ChannelName] = Field(
        ["internal"], description="internal, signup, website, portal"
    )
    publish: StrictBool = Field(
        False, description="Publish version 1 now instead of keeping a draft"
    )


class PlanUpdate(Patch):
    name: str | None = None
    rank: Rank | None = None


class DraftUpdate(Patch):
    terms: dict[str, Any] | None = Field(None, description="Fields to change; " + TERMS_HELP)
    name: str | None = None
    channels: list[ChannelName] | None = None


class PublishRequest(Strict):
    apply_to_existing: Annotated[str, OneOf(ApplyToExisting)] = Field(
        description="never: subscribers keep the old version (now legacy, internal only); "
        "at_renewal or now: they move, and are told first"
    )
    legacy_name: str | None = Field(None, description='Default "<name> Legacy" (never only)')


class CopyRequest(Strict):
    code: str | None = None
    name: str | None = None


class VersionOut(BaseModel):
    object: str = "plan_version"
    id: str
    number: int
    status: str
    name: str
    terms: dict[str, Any] = Field(
        description=TERMS_HELP + "; charges only when the version has usage charges"
    )
    channels: list[str]
    created_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, version: PlanVersion) -> VersionOut:
        return cls(
            id=version.id,
            number=version.number,
            status=version.status.value,
            name=version.name,
            terms=terms_to_data(version.terms),
            channels=sorted(c.value for c in version.channels),
            created_at=version.created_at,
            published_at=version.published_at,
        )


class MoveOut(BaseModel):
    object: str = "plan_version_move"
    id: str
    from_version_ids: list[str]
    to_version_id: str
    apply_to_existing: str
    notice: str
    created_at: datetime


class PlanOut(BaseModel):
    object: str = "plan"
    id: str
    code: str
    name: str
    family: str
    family_id: str
    rank: int
    archived_at: datetime | None
    created_at: datetime
    current_version_id: str | None
    draft_version_id: str | None
    versions: list[VersionOut]
    moves: list[MoveOut]

    @classmethod
    def of(cls, view: PlanView) -> PlanOut:
        plan = view.plan
        return cls(
            id=plan.id,
            code=plan.code,
            name=plan.name,
            family=view.family.code,
            family_id=plan.family_id,
            rank=plan.rank,
            archived_at=plan.archived_at,
            created_at=plan.created_at,
            current_version_id=view.current.id if view.current else None,
            draft_version_id=view.draft.id if view.draft else None,
            versions=[VersionOut.of(v) for v in view.versions],
            moves=[
                MoveOut(
                    id=m.id,
                    from_version_ids=list(m.from_version_ids),
                    to_version_id=m.to_version_id,
                    apply_to_existing=m.apply.value,
                    notice=m.notice,
                    created_at=m.created_at,
                )
                for m in view.moves
            ],
        )


class PublishedOut(BaseModel):
    object: str = "publication"
    version: VersionOut
    superseded: list[VersionOut]
    move: MoveOut | None

    @classmethod
    def of(cls, result: Published) -> PublishedOut:
        move = result.move
        return cls(
            version=VersionOut.of(result.version),
            superseded=[VersionOut.of(v) for v in result.superseded],
            move=MoveOut(
                id=move.id,
                from_version_ids=list(move.from_version_ids),
                to_version_id=move.to_version_id,
                apply_to_existing=move.apply.value,
                notice=move.notice,
                created_at=move.created_at,
            )
            if move
            else None,
        )


class QuoteOut(BaseModel):
    object: str = "quote"
    currency: str
    cycle: str
    quantity: int
    per_seat: bool
    list_unit_amount: int = Field(description="Per seat for the cycle before its discount")
    discount_percent: str
    discount_amount: int = Field(description="Saved per seat by the cycle discount")
    unit_amount: int = Field(description="Per seat for the cycle")
    total: int = Field(description="unit_amount x quantity")
    formula: str = Field(examples=["$191.90 × 100 = $19,190.00"])

    @classmethod
    def of(cls, q: Quote, formula: str) -> QuoteOut:
        return cls(
            currency=q.currency.code,
            cycle=q.cycle.name,
            quantity=q.quantity,
            per_seat=q.per_seat,
            list_unit_amount=q.list_unit_amount,
            discount_percent=format(q.discount_percent.normalize(), "f"),
            discount_amount=q.discount_amount,
            unit_amount=q.unit_amount,
            total=q.total,
            formula=formula,
        )


class PlanQuoteOut(BaseModel):
    object: str = "plan_quote"
    plan_id: str
    version_id: str
    quote: QuoteOut


class AddOnBody(Strict):
    code: str
    name: str
    prices: list[dict[str, Any]] = Field(description="[{currency, cycle, amount}]")
    quantity_allowed: StrictBool = False
    fits_families: list[str] = Field([], description="Family codes; empty: every family")
    fits_plans: list[str] = Field([], description="Plan codes; empty: every plan")
    features: list[str] = []
    allowances: dict[str, Allowance] = {}
    description: str = ""


class AddOnUpdate(Patch):
    clears = {
        "fits_families": [],
        "fits_plans": [],
        "features": [],
        "allowances": {},
        "description": "",
    }

    name: str | None = None
    prices: list[dict[str, Any]] | None = None
    quantity_allowed: StrictBool | None = None
    fits_families: list[str] | None = None
    fits_plans: list[str] | None = None
    features: list[str] | None = None
    allowances: dict[str, Allowance] | None = None
    description: str | None = None


class AddOnOut(BaseModel):
    object: str = "add_on"
    id: str
    code: str
    name: str
    prices: list[dict[str, Any]]
    quantity_allowed: bool
    fits_families: list[str]
    fits_plans: list[str]
    features: list[str]
    allowances: dict[str, int]
    description: str
    archived_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, a: AddOn) -> AddOnOut:
        return cls(
            id=a.id,
            code=a.code,
            name=a.name,
            prices=prices_to_data(a.prices),
            quantity_allowed=a.quantity_allowed,
            fits_families=sorted(a.fits_families),
            fits_plans=sorted(a.fits_plans),
            features=sorted(a.features),
            allowances=dict(a.allowances),
            description=a.description,
            archived_at=a.archived_at,
            created_at=a.created_at,
        )


class ExtraPackBody(Strict):
    code: str
    name: str
    # Strict: amounts are whole minor units; 10.0 or "4900" is refused, never coerced.
    prices: dict[str, Price] = Field(description="{currency: amount in minor units}")
    allowance: str = Field(examples=["chatbot_sessions"])
    amount: PackAmount = Field(examples=[1000])
    description: str = ""


class ExtraPackUpdate(Patch):
    clears = {"description": ""}

    name: str | None = None
    prices: dict[str, Price] | None = None
    allowance: str | None = None
    amount: PackAmount | None = None
    description: str | None = None


class ExtraPackOut(BaseModel):
    object: str = "extra_pack"
    id: str
    code: str
    name: str
    prices: dict[str, int]
    allowance: str
    amount: int
    description: str
    archived_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, p: ExtraPack) -> ExtraPackOut:
        return cls(
            id=p.id,
            code=p.code,
            name=p.name,
            prices=dict(p.prices),
            allowance=p.allowance,
            amount=p.amount,
            description=p.description,
            archived_at=p.archived_at,
            created_at=p.created_at,
        )


class OfferOut(BaseModel):
    object: str = "offer"
    plan_id: str
    plan_code: str
    family: str
    rank: int
    version_id: str
    name: str
    description: str
    pricing: str
    min_seats: int
    max_seats: int | None
    trial_days: int
    allowances: dict[str, int]
    features: list[str]
    quotes: list[QuoteOut]
