"""The payment settings of the /v1 API: the organization's dunning policy, each account's
collection method, and the invoices being dunned now.

As `POST /v1/organization/settings`, a settings POST changes the fields it names and keeps the
others; every field is checked before anything is written, and a refusal (422) names the
field (`retry_days[2]`, `stages[1].action`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from plansmith.application.kernel.errors import NotFound
from plansmith.application.payments import queries, settings
from plansmith.domain.payments.dunning_data import policy_to_dict
from plansmith.entrypoints.api.deps import CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.payments.schemas import (
    CollectionMethodOut,
    CollectionMethodSet,
    CollectionOut,
    DunningPolicyOut,
    DunningPolicyUpdate,
)
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["payments"]
POLICY = "/organization/dunning_policy"
COLLECTION = "/accounts/{account_id}/collection"


@router.get(
    "/collections",
    operation_id="list_collections",
    response_model=ListOut[CollectionOut],
    tags=TAGS,
)
def list_collections(org: CurrentOrg, uow: UoW) -> ListOut[CollectionOut]:
    """Invoices in dunning (a failed attempt, another one scheduled), the next attempt soonest
    first, with their failures so far."""
    found = queries.failing_collections(uow, org.id)
    return ListOut[CollectionOut](data=[CollectionOut.of(c) for c in found])


@router.get(POLICY, operation_id="get_dunning_policy", response_model=DunningPolicyOut, tags=TAGS)
def get_dunning_policy(org: CurrentOrg, uow: UoW) -> DunningPolicyOut:
    """When failed payments are retried and what happens as they fail: the organization's
    policy, or the default one (retries 1, 3, 5 and 7 days after the first failure, then the
    subscription canceled and the invoice uncollectible)."""
    return DunningPolicyOut.of(queries.dunning_policy(uow, org.id))


@router.post(
    POLICY, operation_id="update_dunning_policy", response_model=DunningPolicyOut, tags=TAGS
)
def update_dunning_policy(
    body: DunningPolicyUpdate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> DunningPolicyOut:
    """Change the fields named; the others stay as they are. Invoices already in dunning
    follow the new policy from their next attempt."""
    current: dict[str, Any] = policy_to_dict(queries.dunning_policy(uow, org.id))
    changed = {**current, **body.changes()}
    return DunningPolicyOut.of(settings.set_dunning_policy(uow, clock, org.id, changed))


def _method_out(account_id: str, method: str, net_days: int) -> CollectionMethodOut:
    return CollectionMethodOut(account_id=account_id, method=method, net_days=net_days)


@router.get(
    COLLECTION,
    operation_id="get_collection_method",
    response_model=CollectionMethodOut,
    tags=TAGS,
)
def get_collection_method(account_id: str, org: CurrentOrg, uow: UoW) -> CollectionMethodOut:
    """How the account pays its invoices: charged automatically (the default), or sent the
    invoice to pay within `net_days`."""
    with uow:
        if uow.accounts.get(org.id, account_id) is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        method, net_days = uow.collections.method_of(account_id)
    return _method_out(account_id, method, net_days)


@router.post(
    COLLECTION,
    operation_id="set_collection_method",
    response_model=CollectionMethodOut,
    tags=TAGS,
)
def set_collection_method(
    account_id: str, body: CollectionMethodSet, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> CollectionMethodOut:
    """Charge the account's invoices automatically, or send them to be paid within
    `net_days`. Invoices finalized from now on follow it."""
    method, net_days = settings.set_collection_method(
        uow, clock, org.id, account_id, body.method, body.net_days
    )
    return _method_out(account_id, method, net_days)
