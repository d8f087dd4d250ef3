"""Typed domain events: what happened, under stable versioned names, with everything a
receiver needs (ids, terms before and after, amounts in minor units with their currency,
periods, effective dates).

Each type is a frozen dataclass named by ``TYPE`` (``subscription.changed``) at ``VERSION``:
subscription events in subscription_events.py, invoices, credit notes, plan-version moves and
billing runs in billing_events.py. ``to_data`` makes plain JSON data ``{"type", "version",
"data"}``; event_data.py reads it back, checking every field's type: stored events (the
outbox) and receivers rely on the shape, so a change of shape is a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable


class EventDataError(ValueError):
    """Stored data that is not an event of a known type and version."""


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened to one object of one organization, at ``at``."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    OBJECT: ClassVar[str] = ""

    organization_id: str | None
    at: datetime

    @property
    def object_id(self) -> str:
        raise NotImplementedError

    @property
    def aggregate_id(self) -> str:
        """Events with the same aggregate are delivered in the order they happened."""
        return self.object_id

    def to_data(self) -> dict[str, Any]:
        data = {f.name: _encode(getattr(self, f.name)) for f in fields(self)}
        return {"type": self.TYPE, "version": self.VERSION, "data": data}


@runtime_checkable
class Encodable(Protocol):
    """A value object an event carries that knows its plain data (e.g. subscription terms):
    the kernel encodes it without knowing the capability it comes from."""

    def to_data(self) -> dict[str, Any]: ...


def _encode(value: object) -> Any:
    if isinstance(value, Encodable):
        return value.to_data()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value
