"""Meters: what an organization counts from the usage events it sends.

A meter reads the events of one event code (several meters may read the same code), keeps
those whose properties pass its filters, and aggregates them over a period: ``count`` the
events, ``sum`` or ``max`` a numeric property, or ``unique_count`` the distinct values of a
property. Numeric properties are exact: read as decimals of at most six places and kept as
integer millionths ("micros"), never as floats. A meter never changes once made: a change
would rewrite the usage already counted (make another meter instead).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue

CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
PROPERTY = re.compile(r"[A-Za-z0-9_.-]{1,100}")
SCALE = 10**6  # numeric properties are kept in millionths
MAX_AMOUNT = Decimal(10**12)  # one event's amount: below a trillion units
MAX_FILTER_VALUES = 100
MAX_VALUE_LENGTH = 200

PropertyValue = str | int | float


class Aggregation(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MAX = "max"
    UNIQUE_COUNT = "unique_count"


NEEDS_PROPERTY = frozenset({Aggregation.SUM, Aggregation.MAX, Aggregation.UNIQUE_COUNT})
NUMERIC = frozenset({Aggregation.SUM, Aggregation.MAX})


@dataclass(frozen=True)
class Meter:
    id: str
    organization_id: str
    code: str
    name: str
    event_code: str
    aggregation: Aggregation
    property: str | None  # the property read; None for count
    filters: Mapping[str, tuple[str, ...]]  # property -> the values an event must have one of
    created_at: datetime

    def matches(self, properties: Mapping[str, PropertyValue]) -> bool:
        """Whether the event passes every filter (a missing property passes none)."""
        for name, allowed in self.filters.items():
            value = properties.get(name)
            if not isinstance(value, str) or value not in allowed:
                return False
        return True

    def reading(self, properties: Mapping[str, PropertyValue]) -> Reading:
        """What one event adds to this meter; InvalidValue naming the property if the event
        lacks it or it is unfit (not a number, negative, too precise)."""
        if self.aggregation is Aggregation.COUNT or self.property is None:
            return Reading(self.id, 0, None)
        field = f"properties.{self.property}"
        value = properties.get(self.property)
        if value is None:
            raise InvalidValue(
                f"meter {self.code!r} reads property {self.property!r}; the event has none",
                field=field,
                code=ec.PROPERTY_MISSING,
            )
        if self.aggregation is Aggregation.UNIQUE_COUNT:
            return Reading(self.id, 0, unique_text(value))
        return Reading(self.id, micros(value, field, self.code), None)


@dataclass(frozen=True)
class Reading:
    """One event's contribution to one meter: the amount in micros (sum and max), or the
    value counted once (unique_count)."""

    meter_id: str
    amount: int
    unique: str | None


def unique_text(value: PropertyValue) -> str:
    """The text a value is counted by: numbers by their exact decimal (1 and 1.0 are one)."""
    if isinstance(value, str):
        return value
    return format(Decimal(repr(value)).normalize(), "f")


_MAX_INT, _INT_SCALE = int(MAX_AMOUNT), int(SCALE)


def micros(value: PropertyValue, field: str, meter_code: str) -> int:
    """A number as integer millionths, exactly; InvalidValue naming ``field`` otherwise."""
    if type(value) is int and 0 <= value < _MAX_INT:  # the usual case, without a Decimal
        return value * _INT_SCALE
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(
            f"meter {meter_code!r} adds up this property: it must be a number, got {value!r}",
            field=field,
            code=ec.PROPERTY_NOT_NUMERIC,
        )
    try:
        # repr is the shortest text that reads back as the same float: 0.1 is 0.1, not 0.1000…
        amount = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - every int and finite float converts
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise InvalidValue(
            f"{value!r} is not a finite number", field=field, code=ec.PROPERTY_NOT_NUMERIC
        )
    if amount < 0:
        raise InvalidValue(
            f"meter {meter_code!r} adds up this property; it cannot be negative ({value!r})",
            field=field,
            code=ec.PROPERTY_NEGATIVE,
        )
    if amount >= MAX_AMOUNT:
        raise InvalidValue(
            f"{value!r} is too large for one event (below 1,000,000,000,000)",
            field=field,
            code=ec.PROPERTY_NOT_NUMERIC,
        )
    scaled = amount * SCALE
    if scaled != scaled.to_integral_value():
        raise InvalidValue(
            f"{value!r} has more than six decimal places", field=field, code=ec.PROPERTY_NOT_NUMERIC
        )
    return int(scaled)


def from_micros(amount: int) -> Decimal:
    return (Decimal(amount) / SCALE).normalize() if amount else Decimal(0)


def check_meter_code(value: object, field: str) -> str:
    if not isinstance(value, str) or not CODE.fullmatch(value):
        raise InvalidValue(
            f"{value!r} is not a code: use 1-63 lower-case letters, digits, '_', '.' or '-'",
            field=field,
            code=ec.INVALID_CODE,
        )
    return value


def new_meter(
    *,
    id: str,
    organization_id: str,
    code: object,
    name: object,
    event_code: object,
    aggregation: object,
    property: object,
    filters: object,
    now: datetime,
) -> Meter:
    """A meter from what the operator sent, each field checked and named when wrong."""
    check_meter_code(code, "code")
    check_meter_code(event_code, "event_code")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise InvalidValue("a meter's name is 1 to 200 characters", field="name")
    try:
        kind = Aggregation(str(aggregation)) if isinstance(aggregation, str) else None
    except ValueError:
        kind = None
    if kind is None:
        kinds = ", ".join(a.value for a in Aggregation)
        raise InvalidValue(
            f"{aggregation!r} is not an aggregation; use one of {kinds}", field="aggregation"
        )
    if kind in NEEDS_PROPERTY:
        if not isinstance(property, str) or not PROPERTY.fullmatch(property):
            raise InvalidValue(
                f"a {kind} meter names the property it reads (1-100 letters, digits, '_', '.' "
                "or '-')",
                field="property",
            )
    elif property is not None:
        raise InvalidValue("a count meter reads no property; leave it out", field="property")
    return Meter(
        id=id,
        organization_id=organization_id,
        code=str(code),
        name=str(name).strip(),
        event_code=str(event_code),
        aggregation=kind,
        property=property if isinstance(property, str) else None,
        filters=_filters(filters),
        created_at=now,
    )


def _filters(value: object) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue("filters map a property to the values it may have", field="filters")
    found: dict[str, tuple[str, ...]] = {}
    for key, allowed in value.items():
        field = f"filters.{key}"
        if not isinstance(key, str) or not PROPERTY.fullmatch(key):
            raise InvalidValue("a filter names a property", field=field)
        if (
            not isinstance(allowed, list)
            or not 1 <= len(allowed) <= MAX_FILTER_VALUES
            or not all(isinstance(v, str) and 0 < len(v) <= MAX_VALUE_LENGTH for v in allowed)
        ):
            raise InvalidValue(
                f"a filter lists 1 to {MAX_FILTER_VALUES} text values the property may have",
                field=field,
            )
        found[key] = tuple(dict.fromkeys(allowed))
    return found
