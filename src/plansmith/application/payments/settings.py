"""Payment settings: each organization's dunning policy and each account's collection
method (charge automatically, or send the invoice with net N days)."""

from __future__ import annotations

from collections.abc import Mapping

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.dunning import DunningPolicy
from plansmith.domain.payments.dunning_data import policy_from_dict

METHODS = ("charge_automatically", "send_invoice")
MAX_NET_DAYS = 365


def set_dunning_policy(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: Mapping[str, object]
) -> DunningPolicy:
    policy = policy_from_dict(data)  # refuses a wrong field by name
    with uow:
        uow.dunning_policies.put(organization_id, policy, clock.now())
        uow.commit()
    return policy


def set_collection_method(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    account_id: str,
    method: object,
    net_days: object = 0,
) -> tuple[str, int]:
    if method not in METHODS:
        raise InvalidValue(f"a collection method is one of {', '.join(METHODS)}", field="method")
    if (
        isinstance(net_days, bool)
        or not isinstance(net_days, int)
        or not 0 <= net_days <= MAX_NET_DAYS
    ):
        raise InvalidValue(
            f"net days are a whole number from 0 to {MAX_NET_DAYS}", field="net_days"
        )
    with uow:
        if uow.accounts.get(organization_id, account_id) is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        uow.collections.set_method(
            organization_id,
            account_id,
            str(method),
            net_days,
            clock.now(),
        )
        uow.commit()
    return str(method), net_days
