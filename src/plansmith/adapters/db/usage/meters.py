"""Meters and each organization's usage settings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.usage.meters import Aggregation, Meter

m = t.usage_meters.c


def meter_of(row: Any) -> Meter:
    return Meter(
        id=row.id,
        organization_id=row.organization_id,
        code=row.code,
        name=row.name,
        event_code=row.event_code,
        aggregation=Aggregation(row.aggregation),
        property=row.property,
        filters={k: tuple(v) for k, v in row.filters.items()},
        created_at=row.created_at,
    )


METER_COLUMNS = (
    m.id,
    m.organization_id,
    m.code,
    m.name,
    m.event_code,
    m.aggregation,
    m.property,
    m.filters,
    m.created_at,
)


class SqlMeters:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, meter: Meter) -> None:
        self.session.execute(
            insert(t.usage_meters).values(
                id=meter.id,
                organization_id=meter.organization_id,
                code=meter.code,
                name=meter.name,
                event_code=meter.event_code,
                aggregation=str(meter.aggregation),
                property=meter.property,
                filters={k: list(v) for k, v in meter.filters.items()},
                created_at=meter.created_at,
            )
        )

    def get(self, organization_id: str, code: str) -> Meter | None:
        row = self.session.execute(
            select(*METER_COLUMNS).where(m.organization_id == organization_id, m.code == code)
        ).first()
        return meter_of(row) if row is not None else None

    def list(self, organization_id: str) -> Sequence[Meter]:
        rows = self.session.execute(
            select(*METER_COLUMNS)
            .where(m.organization_id == organization_id)
            .order_by(m.created_at, m.code)
        )
        return [meter_of(r) for r in rows]

    def reading(self, organization_id: str, event_codes: Collection[str]) -> Sequence[Meter]:
        rows = self.session.execute(
            select(*METER_COLUMNS)
            .where(m.organization_id == organization_id, m.event_code.in_(sorted(event_codes)))
            .order_by(m.created_at, m.code)
        )
        return [meter_of(r) for r in rows]


class SqlUsageSettings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def grace(self, organization_id: str) -> timedelta | None:
        s = t.usage_settings.c
        seconds = self.session.execute(
            select(s.event_grace_seconds).where(s.organization_id == organization_id)
        ).scalar()
        return None if seconds is None else timedelta(seconds=int(seconds))

    def put_grace(self, organization_id: str, grace: timedelta, now: datetime) -> None:
        s = t.usage_settings.c
        self.session.execute(delete(t.usage_settings).where(s.organization_id == organization_id))
        self.session.execute(
            insert(t.usage_settings).values(
                organization_id=organization_id,
                event_grace_seconds=int(grace.total_seconds()),
                updated_at=now,
            )
        )
