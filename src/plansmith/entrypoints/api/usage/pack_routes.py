"""Extra packs bought for a subscription and the entitlements of an account.

`POST /v1/subscriptions/{subscription_id}/packs` buys a pack, charged at once (the balance
first, then the default card) as an invoice of its own; its units count in the current
period's allowance once paid. A retry with the same Idempotency-Key buys nothing more (the
middleware answers it, and the key also names the purchase, so two concurrent requests with
it make one). `GET /v1/entitlements` answers what the account may use now."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

from fastapi import Query, Request

from plansmith.application.payments import entitlements as ent
from plansmith.application.payments.pack_purchases import buy_pack, packs_of
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.api.usage.pack_schemas import (
    EntitlementsOut,
    PackBuy,
    PackPurchaseOut,
)
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["usage"]
PACKS = "/subscriptions/{subscription_id}/packs"


@router.post(
    PACKS,
    operation_id="buy_pack",
    status_code=201,
    response_model=PackPurchaseOut,
    responses=problems(
        ec.UNKNOWN_REFERENCE, ec.CURRENCY_MISMATCH, ec.INVALID_TRANSITION, ec.NO_PAYMENT_METHOD
    ),
    tags=TAGS,
)
def buy_extra_pack(
    subscription_id: str,
    body: PackBuy,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
    request: Request,
) -> PackPurchaseOut:
    """Buy `quantity` of the extra pack `pack` for the subscription, in its currency, paid
    now: `status` is `paid` (its units are in this period's allowance), or `failed` (the card
    declined: nothing added, no invoice), or `pending` (the gateway did not answer yet)."""
    # The key the Idempotency-Key middleware checked (documented on every POST) also names
    # the purchase, so two concurrent requests with it buy once.
    idempotency_key = request.headers.get("Idempotency-Key")
    bought = buy_pack(
        uow,
        app.gateway_for(org.id),
        clock,
        org.id,
        subscription_id,
        body.pack,
        body.quantity,
        request_key=None if idempotency_key is None else f"idem:{idempotency_key}",
    )
    return PackPurchaseOut.of(bought.purchase)


@router.get(PACKS, operation_id="list_packs", response_model=ListOut[PackPurchaseOut], tags=TAGS)
def list_packs(
    subscription_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock, at: date | None = None
) -> ListOut[PackPurchaseOut]:
    """The packs bought in the subscription's current period (or the one holding `at`)."""
    found = packs_of(uow, clock, org.id, subscription_id, at)
    return ListOut[PackPurchaseOut](data=[PackPurchaseOut.of(p) for p in found])


@router.get(
    "/entitlements",
    operation_id="get_entitlements",
    response_model=EntitlementsOut,
    responses=problems(ec.ACCOUNT_NOT_FOUND, ec.UNKNOWN_REFERENCE),
    tags=TAGS,
)
def get_entitlements(
    org: CurrentOrg,
    uow: UoW,
    account_id: str | None = None,
    external_id: str | None = None,
    meter: str | None = None,
    units: Annotated[str | None, Query(description="Units of the use asked about (1)")] = None,
) -> EntitlementsOut:
    """Every feature of the plans and add-ons the account holds, and every metered allowance
    with its standing this period and whether one more use of `units` (default 1) is allowed;
    all denied (`reason: overdue_blocked`) while dunning restricts the account."""
    found = ent.entitlements(
        uow, org.id, account_id=account_id, external_id=external_id, meter=meter, units=units
    )
    return EntitlementsOut.of(found)
