"""Charges as plain JSON data, so a plan version can store them and the API can take them.

One flat object per charge; prices, fees and rates are decimal text (never floats) in MAJOR
units of the charge's currency, tier bounds decimal text too, so the round trip is exact::

    {"meter": "chatbot_sessions", "currency": "USD", "included": 1000, "limit": "hard",
     "model": "graduated",
     "tiers": [{"up_to": "100", "unit_price": "1", "flat_fee": "0"},
               {"up_to": null, "unit_price": "0.1", "flat_fee": "0"}]}

The model's own keys: ``per_unit``: unit_price; ``graduated`` and ``volume``: tiers of
{up_to, unit_price, flat_fee}; ``graduated_percentage``: tiers of {up_to, rate, flat_fee};
``package``: block_size, block_price, free_units; ``percentage``: rate, fixed_fee, free_events.
Reading names the path of every wrong value ("tiers[1].unit_price").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, DomainError, InvalidValue, under
from plansmith.domain.kernel.money import Currency
from plansmith.domain.usage.charges import (
    Charge,
    ChargeModel,
    Graduated,
    GraduatedPercentage,
    LimitKind,
    ModelKind,
    Package,
    Percentage,
    PercentTier,
    PerUnit,
    Tier,
    Volume,
    check_meter,
    decimal_text,
    decimal_value,
    major_text,
    minor_units,
)

__all__ = ["charge_from_data", "charge_to_data"]

R = TypeVar("R")

_COMMON = frozenset({"meter", "currency", "included", "limit", "model"})
_MODEL_KEYS: dict[ModelKind, frozenset[str]] = {
    ModelKind.PER_UNIT: frozenset({"unit_price"}),
    ModelKind.GRADUATED: frozenset({"tiers"}),
    ModelKind.VOLUME: frozenset({"tiers"}),
    ModelKind.GRADUATED_PERCENTAGE: frozenset({"tiers"}),
    ModelKind.PACKAGE: frozenset({"block_size", "block_price", "free_units"}),
    ModelKind.PERCENTAGE: frozenset({"rate", "fixed_fee", "free_events"}),
}


# -- writing ---------------------------------------------------------------------------------


def _bound_text(value: Fraction | None) -> str | None:
    return None if value is None else decimal_text(value)


def _model_data(model: ChargeModel, currency: Currency) -> dict[str, Any]:
    def money(value: Fraction) -> str:
        return major_text(value, currency)

    if isinstance(model, PerUnit):
        return {"unit_price": money(model.unit_price)}
    if isinstance(model, Graduated | Volume):
        return {
            "tiers": [
                {
                    "up_to": _bound_text(t.up_to),
                    "unit_price": money(t.unit_price),
                    "flat_fee": money(t.flat_fee),
                }
                for t in model.tiers
            ]
        }
    if isinstance(model, GraduatedPercentage):
        return {
            "tiers": [
                {
                    "up_to": _bound_text(t.up_to),
                    "rate": decimal_text(t.rate),
                    "flat_fee": money(t.flat_fee),
                }
                for t in model.tiers
            ]
        }
    if isinstance(model, Package):
        return {
            "block_size": model.block_size,
            "block_price": money(model.block_price),
            "free_units": model.free_units,
        }
    return {
        "rate": decimal_text(model.rate),
        "fixed_fee": money(model.fixed_fee),
        "free_events": model.free_events,
    }


def charge_to_data(charge: Charge) -> dict[str, Any]:
    return {
        "meter": charge.meter,
        "currency": charge.currency.code,
        "included": charge.included,
        "limit": charge.limit.value,
        "model": charge.model.kind.value,
        **_model_data(charge.model, charge.currency),
    }


# -- reading ---------------------------------------------------------------------------------


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValue("expected an object of names to values", field=path or "charge")
    return value


def _required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data or data[key] is None:
        raise InvalidValue(f"{key} is required", field=f"{path}{key}", code=ec.REQUIRED)
    return data[key]


def _no_strangers(data: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidValue("unknown field", field=f"{path}{key}", code=ec.UNKNOWN_FIELD)


def _number(value: object, path: str) -> str | int | Decimal:
    # Floats are refused: 0.1 has no exact binary value. Text or whole numbers only.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidValue(
            f'expected a decimal number as text, like "0.25", got {value!r}', field=path
        )
    return value


def _whole(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected a whole number, got {value!r}", field=path)
    return value


def _built(build: Callable[[], R], prefix: str) -> R:
    """Run a constructor whose errors name its own fields, placing them under ``prefix``."""
    try:
        return build()
    except DomainError as exc:
        raise under(prefix, exc) from None


def _tier(raw: object, path: str, currency: Currency) -> Tier:
    item = _mapping(raw, path)
    _no_strangers(item, frozenset({"up_to", "unit_price", "flat_fee"}), f"{path}.")
    up_to = item.get("up_to")
    field = f"{path}.up_to"
    bound = None if up_to is None else decimal_value(_number(up_to, field), field)
    price = minor_units(
        _number(_required(item, "unit_price", f"{path}."), f"{path}.unit_price"),
        currency,
        f"{path}.unit_price",
    )
    field = f"{path}.flat_fee"
    fee = minor_units(_number(item.get("flat_fee", "0"), field), currency, field)
    return _built(lambda: Tier(bound, price, fee), f"{path}.")


def _percent_tier(raw: object, path: str, currency: Currency) -> PercentTier:
    item = _mapping(raw, path)
    _no_strangers(item, frozenset({"up_to", "rate", "flat_fee"}), f"{path}.")
    up_to = item.get("up_to")
    field = f"{path}.up_to"
    bound = None if up_to is None else decimal_value(_number(up_to, field), field)
    rate = decimal_value(
        _number(_required(item, "rate", f"{path}."), f"{path}.rate"), f"{path}.rate"
    )
    field = f"{path}.flat_fee"
    fee = minor_units(_number(item.get("flat_fee", "0"), field), currency, field)
    return _built(lambda: PercentTier(bound, rate, fee), f"{path}.")


def _tiers(
    data: Mapping[str, Any], read: Callable[[object, str, Currency], R], currency: Currency
) -> tuple[R, ...]:
    raw = _required(data, "tiers", "")
    if not isinstance(raw, list):
        raise InvalidValue("expected a list of tiers", field="tiers")
    checks = Checks()
    tiers = [checks.run(read, item, f"tiers[{i}]", currency) for i, item in enumerate(raw)]
    checks.raise_if_any()
    return tuple(t for t in tiers if t is not None)


def _model(data: Mapping[str, Any], kind: ModelKind, currency: Currency) -> ChargeModel:
    def price(key: str, default: str | None = None) -> Fraction:
        raw = data.get(key, default) if default is not None else _required(data, key, "")
        return minor_units(_number(raw, key), currency, key)

    if kind is ModelKind.PER_UNIT:
        return PerUnit(price("unit_price"))
    if kind is ModelKind.GRADUATED:
        return Graduated(_tiers(data, _tier, currency))
    if kind is ModelKind.VOLUME:
        return Volume(_tiers(data, _tier, currency))
    if kind is ModelKind.GRADUATED_PERCENTAGE:
        return GraduatedPercentage(_tiers(data, _percent_tier, currency))
    if kind is ModelKind.PACKAGE:
        size = _whole(_required(data, "block_size", ""), "block_size")
        free = _whole(data.get("free_units", 0), "free_units")
        return Package(size, price("block_price"), free)
    rate = decimal_value(_number(_required(data, "rate", ""), "rate"), "rate")
    free_events = _whole(data.get("free_events", 0), "free_events")
    return Percentage(rate, price("fixed_fee", "0"), free_events)


def _kind(data: Mapping[str, Any]) -> ModelKind:
    raw = _required(data, "model", "")
    if raw not in {k.value for k in ModelKind}:
        raise InvalidValue(
            f"{raw!r} is not a charge model: use one of {', '.join(k.value for k in ModelKind)}",
            field="model",
        )
    return ModelKind(raw)


def _limit(data: Mapping[str, Any]) -> LimitKind:
    raw = data.get("limit", LimitKind.SOFT.value)
    if raw not in {k.value for k in LimitKind}:
        raise InvalidValue(
            f"{raw!r} is not a limit: use 'hard' (deny past the allowance) or 'soft' (bill "
            "the excess)",
            field="limit",
        )
    return LimitKind(raw)


def charge_from_data(raw: object) -> Charge:
    """A charge from plain data; every wrong field is reported at once, by its path."""
    data = _mapping(raw, "")
    checks = Checks()
    kind = checks.run(_kind, data)
    allowed = _COMMON | (_MODEL_KEYS[kind] if kind is not None else frozenset())
    if kind is not None:
        checks.run(_no_strangers, data, allowed, "")
    currency = checks.run(lambda: Currency.of(_required(data, "currency", ""), field="currency"))
    meter = checks.run(lambda: check_meter(_required(data, "meter", ""), "meter"))
    included = checks.run(_whole, data.get("included", 0), "included")
    limit = checks.run(_limit, data)
    model = None
    if kind is not None and currency is not None:
        model = checks.run(_model, data, kind, currency)
    checks.raise_if_any()
    assert meter is not None and currency is not None and model is not None
    assert included is not None and limit is not None
    return Charge(meter=meter, currency=currency, model=model, included=included, limit=limit)
