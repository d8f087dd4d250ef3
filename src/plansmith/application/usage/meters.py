"""Meters: made once and never changed (a change would rewrite the usage counted already)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.usage.meters import Meter, new_meter


def create_meter(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: Mapping[str, object]
) -> Meter:
    meter = new_meter(
        id=new_id("mtr"),
        organization_id=organization_id,
        code=data.get("code"),
        name=data.get("name"),
        event_code=data.get("event_code"),
        aggregation=data.get("aggregation"),
        property=data.get("property"),
        filters=data.get("filters"),
        now=clock.now(),
    )
    with uow:
        if uow.meters.get(organization_id, meter.code) is not None:
            raise Conflict(
                f"a meter {meter.code!r} exists already; meters never change, make another",
                field="code",
                code=ec.DUPLICATE_CODE,
            )
        uow.meters.add(meter)  # a racing twin: the unique (organization, code) refuses it
        uow.commit()
    return meter


def list_meters(uow: UnitOfWork, organization_id: str) -> Sequence[Meter]:
    with uow:
        return uow.meters.list(organization_id)


def get_meter(uow: UnitOfWork, organization_id: str, code: str) -> Meter:
    with uow:
        found = uow.meters.get(organization_id, code)
    if found is None:
        raise NotFound(f"no meter {code!r}", field="code")
    return found
