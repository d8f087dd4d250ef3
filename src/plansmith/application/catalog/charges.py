"""The check only the organization can make of a plan version's usage charges: each names a
meter it has (the terms check the rest: currencies priced, one charge per meter and currency)."""

from __future__ import annotations

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue


def check_meters(
    uow: UnitOfWork, organization_id: str, terms: PlanTerms, prefix: str, checks: Checks
) -> None:
    """Add to ``checks`` an error for each charge whose meter the organization lacks, at
    ``<prefix>charges[i].meter``. Inside an open unit of work."""
    known: dict[str, bool] = {}
    for i, charge in enumerate(terms.charges):
        if charge.meter not in known:
            known[charge.meter] = uow.meters.get(organization_id, charge.meter) is not None
        if not known[charge.meter]:
            checks.add(
                InvalidValue(
                    f"no meter {charge.meter!r} in the organization: create it first",
                    field=f"{prefix}charges[{i}].meter",
                    code=ec.UNKNOWN_REFERENCE,
                )
            )
