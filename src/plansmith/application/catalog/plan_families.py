"""Use cases for plan families: the groups an account holds at most one plan of, and the rules
for changing plans inside each (the change policy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.plans import PlanFamily
from plansmith.domain.catalog.terms import check_code
from plansmith.domain.catalog.terms_data import policy_from_data, policy_to_data
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks


@dataclass(frozen=True)
class FamilyInput:
    code: str
    name: str
    policy: Mapping[str, Any] | None = None


def create_family(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: FamilyInput
) -> PlanFamily:
    checks = Checks()
    code = checks.run(check_code, data.code)
    name = checks.run(require_text, data.name, "name")
    policy = checks.run(policy_from_data, data.policy)
    checks.raise_if_any()
    assert code and name and policy
    family = PlanFamily(new_id("fam"), organization_id, code, name, policy, clock.now())
    with uow:
        if uow.families.by_code(organization_id, code) is not None:
            raise Conflict(
                f"a plan family {code!r} exists already", field="code", code=ec.DUPLICATE_CODE
            )
        uow.families.add(family)
        uow.commit()
    return family


def update_family(
    uow: UnitOfWork,
    organization_id: str,
    family_id: str,
    *,
    name: str | None = None,
    policy: Mapping[str, Any] | None = None,
) -> PlanFamily:
    checks = Checks()
    new_name = checks.run(require_text, name, "name") if name is not None else None
    if policy is not None:
        checks.run(policy_from_data, policy)  # names every wrong rule before anything is read
    checks.raise_if_any()
    with uow:
        family = _family(uow, organization_id, family_id)
        # A partial policy changes the rules it names; the others keep their current value.
        new_policy = (
            family.policy
            if policy is None
            else policy_from_data({**policy_to_data(family.policy), **policy})
        )
        family = replace(family, name=new_name or family.name, policy=new_policy)
        uow.families.update(family)
        uow.commit()
    return family


def list_families(uow: UnitOfWork, organization_id: str) -> list[PlanFamily]:
    with uow:
        return list(uow.families.list(organization_id))


def get_family(uow: UnitOfWork, organization_id: str, family_id: str) -> PlanFamily:
    with uow:
        return _family(uow, organization_id, family_id)


def _family(uow: UnitOfWork, organization_id: str, family_id: str) -> PlanFamily:
    family = uow.families.get(organization_id, family_id)
    if family is None:
        raise NotFound(f"no plan family {family_id!r}", field="family_id")
    return family
