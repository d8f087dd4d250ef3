"""Events from their plain data: the type by its name, then every field checked."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

from plansmith.domain.invoicing import events as billing_events
from plansmith.domain.kernel.events import DomainEvent, EventDataError
from plansmith.domain.payments import events as payment_events
from plansmith.domain.subscriptions import events as subscription_events
from plansmith.domain.subscriptions.subscription import Status, Terms, terms_from_data
from plansmith.domain.usage import pack_events, thresholds
from plansmith.domain.webhooks import events as webhook_events


def _all_types() -> dict[str, type[DomainEvent]]:
    """Every event type of the modules that define them, by name (each name once)."""
    found: dict[str, type[DomainEvent]] = {}
    for module in (
        subscription_events,
        billing_events,
        payment_events,
        webhook_events,
        pack_events,
        thresholds,
    ):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DomainEvent) and value.TYPE:
                assert found.get(value.TYPE, value) is value, f"{value.TYPE} defined twice"
                found[value.TYPE] = value
    return found


EVENT_TYPES: Mapping[str, type[DomainEvent]] = _all_types()


def event_from_data(data: Mapping[str, Any]) -> DomainEvent:
    """The event ``to_data`` made; EventDataError names what does not fit."""
    if not isinstance(data, Mapping):
        raise EventDataError("an event is an object with type, version and data")
    cls = EVENT_TYPES.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise EventDataError(f"unknown event type {data.get('type')!r}")
    if data.get("version") != cls.VERSION:
        raise EventDataError(f"{cls.TYPE}: version {data.get('version')!r} is not {cls.VERSION}")
    body = data.get("data")
    if not isinstance(body, Mapping):
        raise EventDataError(f"{cls.TYPE}: data is an object")
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    if set(body) - names:
        raise EventDataError(f"{cls.TYPE}: unknown fields {sorted(set(body) - names)}")
    values = {}
    for f in fields(cls):
        if f.name not in body:
            raise EventDataError(f"{cls.TYPE}: {f.name} is missing")
        values[f.name] = _decode(hints[f.name], body[f.name], f"{cls.TYPE}.{f.name}")
    return cls(**values)


def _decode(hint: Any, value: object, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _decode(inner, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise EventDataError(f"{where} is a list")
        return tuple(_decode(get_args(hint)[0], v, where) for v in value)
    if hint is bool or hint is int:
        if type(value) is not hint:
            raise EventDataError(f"{where} is {'true or false' if hint is bool else 'an integer'}")
        return value
    if not isinstance(value, Mapping if hint is Terms else str):
        raise EventDataError(f"{where} has the wrong type")
    try:
        if hint is Terms:
            return terms_from_data(value)  # type: ignore[arg-type]
        assert isinstance(value, str)
        if hint is str:
            return value
        if hint is Status:
            return Status(value)
        if hint is datetime:
            at = datetime.fromisoformat(value)
            if at.tzinfo is None:
                raise ValueError("an instant has its offset")
            return at
        if hint is date:
            return date.fromisoformat(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise EventDataError(f"{where}: {exc}") from exc
    raise EventDataError(f"{where}: no codec for {hint!r}")  # a field type added without one
