"""Each organization's grace window: how long after a billing period ends its late usage
events are still accepted (default 1 hour, 0 to 7 days)."""

from __future__ import annotations

from datetime import timedelta

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.usage.events import DEFAULT_GRACE, check_grace


def event_grace(uow: UnitOfWork, organization_id: str) -> timedelta:
    with uow:
        found = uow.usage_settings.grace(organization_id)
    return DEFAULT_GRACE if found is None else found


def set_event_grace(
    uow: UnitOfWork, clock: Clock, organization_id: str, seconds: object
) -> timedelta:
    grace = check_grace(seconds)
    with uow:
        uow.usage_settings.put_grace(organization_id, grace, clock.now())
        uow.commit()
    return grace
