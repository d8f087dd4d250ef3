"""Plan terms as plain data (dicts of str, int, list), for storage, the API and catalog files.

Reading checks every value and names its path ("prices[1].amount"), so an error in a catalog
file or an API body says exactly where it is. Amounts are integers in minor units and
percentages are strings or integers, never floats.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from plansmith.domain.catalog.plans import ChangeInvoicing, ChangePolicy, Timing
from plansmith.domain.catalog.terms import (
    PlanTerms,
    Price,
    PricingModel,
    check_code,
    discount_percent,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, DomainError, InvalidInput, InvalidValue, under
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_PRICE, at_most, cycle_length
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.kernel.text import check_text
from plansmith.domain.usage.charges import Charge
from plansmith.domain.usage.charges_data import charge_from_data, charge_to_data

TERMS_FIELDS = frozenset(
    {
        "pricing",
        "prices",
        "base_prices",
        "cycle_discounts",
        "min_seats",
        "max_seats",
        "trial_days",
        "allowances",
        "features",
        "description",
        "pay_per_day",
        "charges",
    }
)
POLICY_FIELDS = frozenset(
    {"upgrade", "downgrade", "seats_down", "cycle_change", "change_invoicing"}
)


def _percent_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def terms_to_data(terms: PlanTerms) -> dict[str, Any]:
    """As stored and shown; ``charges`` only when there are some (terms before them read the
    same)."""
    data = {
        "pricing": terms.pricing.value,
        "prices": [
            {"currency": p.currency, "cycle": p.cycle.name, "amount": p.amount}
            for p in terms.prices
        ],
        "base_prices": dict(sorted(terms.base_prices.items())),
        "cycle_discounts": {k: _percent_text(v) for k, v in sorted(terms.cycle_discounts.items())},
        "min_seats": terms.min_seats,
        "max_seats": terms.max_seats,
        "trial_days": terms.trial_days,
        "allowances": dict(sorted(terms.allowances.items())),
        "features": sorted(terms.features),
        "description": terms.description,
        "pay_per_day": terms.pay_per_day,
    }
    if terms.charges:
        data["charges"] = [charge_to_data(c) for c in terms.charges]
    return data


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValue("expected a mapping of names to values", field=path)
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidValue("expected a list", field=path)
    return value


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected a whole number, got {value!r}", field=path)
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {value!r}", field=path)
    return value


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected text, got {value!r}", field=path)
    return value


def _text(value: object, path: str) -> str:
    """Free text as it comes in: storable (no NUL, no lone surrogate)."""
    return check_text(_str(value, path), path)


def _unknown_keys(data: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> list[str]:
    return [f"{prefix}{key}" for key in data if key not in allowed]


def _price(raw: object, path: str) -> Price:
    item = _mapping(raw, path)
    extra = _unknown_keys(item, frozenset({"currency", "cycle", "amount"}), f"{path}.")
    if extra:
        raise InvalidValue("unknown field", field=extra[0], code=ec.UNKNOWN_FIELD)
    for key in ("currency", "cycle", "amount"):
        if key not in item:
            raise InvalidValue(f"{key} is required", field=f"{path}.{key}", code=ec.REQUIRED)
    cycle_text = _str(item["cycle"], f"{path}.cycle")
    try:
        cycle = Cycle.parse(cycle_text)
    except InvalidValue as exc:
        raise InvalidValue(exc.message, field=f"{path}.cycle") from None
    currency = _str(item["currency"], f"{path}.currency")
    return Price(currency, cycle, _int(item["amount"], f"{path}.amount"))


_PRICE_INDEX = re.compile(r"prices\[([0-9]+)\]")


def _at_input_index(error: DomainError, kept: list[int]) -> DomainError:
    """A rule error on the j-th price read, moved to that price's index in the input.

    Prices that could not be read are left out of the terms, so without this a rule error
    on a later price would name the wrong item.
    """
    match = _PRICE_INDEX.match(error.field or "")
    if match is None or int(match.group(1)) >= len(kept):
        return error
    moved = copy.copy(error)
    moved.field = f"prices[{kept[int(match.group(1))]}]" + (error.field or "")[match.end() :]
    return moved


def terms_from_data(data: object, path: str = "", *, limits: bool = True) -> PlanTerms:
    """Validated terms; fields left out take their defaults. Raises InvalidInput with paths.

    ``limits=False`` skips the upper bounds of domain/limits.py: for reading stored terms,
    which may predate them."""
    prefix = f"{path}." if path else ""
    raw = _mapping(data, path or "terms")
    checks = Checks()
    for key in _unknown_keys(raw, TERMS_FIELDS, prefix):
        checks.add(InvalidValue("unknown field", field=key, code=ec.UNKNOWN_FIELD))

    def read(key: str, convert: Any, default: Any) -> Any:
        if key not in raw or (raw[key] is None and key != "max_seats"):
            return default
        value = checks.run(convert, raw[key], prefix + key)
        return default if value is None else value  # a wrong value is reported, not used

    def pricing(value: object, where: str) -> PricingModel:
        try:
            return PricingModel(_str(value, where))
        except ValueError:
            raise InvalidValue("pricing is flat or per_seat", field=where) from None

    kept: list[int] = []  # the input index of each price that could be read

    def prices(value: object, where: str) -> tuple[Price, ...]:
        found = []
        for i, item in enumerate(_list(value, where)):
            price = checks.run(_price, item, f"{where}[{i}]")
            if price is not None:
                found.append(price)
                kept.append(i)
        return tuple(found)

    def int_map(value: object, where: str) -> dict[str, int]:
        return {str(k): _int(v, f"{where}.{k}") for k, v in _mapping(value, where).items()}

    def percents(value: object, where: str) -> dict[str, Decimal]:
        result = {}
        for key, percent in _mapping(value, where).items():
            try:
                cycle = Cycle.parse(str(key)).name  # "annual" and "year" mean the same cycle
            except InvalidValue as exc:
                raise InvalidValue(exc.message, field=f"{where}.{key}") from None
            if cycle in result:
                raise InvalidValue(
                    f"two discounts for the {cycle} cycle",
                    field=f"{where}.{key}",
                    code=ec.DUPLICATE_DISCOUNT,
                )
            result[cycle] = discount_percent(percent, f"{where}.{key}")
        return result

    def optional_int(value: object, where: str) -> int | None:
        return None if value is None else _int(value, where)

    def features(value: object, where: str) -> frozenset[str]:
        return frozenset(_str(item, f"{where}[{i}]") for i, item in enumerate(_list(value, where)))

    def charges(value: object, where: str) -> tuple[Charge, ...]:
        found = []
        for i, item in enumerate(_list(value, where)):
            try:
                found.append(charge_from_data(item))
            except DomainError as exc:
                for error in exc.errors if isinstance(exc, InvalidInput) else [exc]:
                    checks.add(under(f"{where}[{i}].", error))
        return tuple(found)

    terms = PlanTerms(
        pricing=read("pricing", pricing, PricingModel.PER_SEAT),
        prices=read("prices", prices, ()),
        base_prices=read("base_prices", int_map, {}),
        cycle_discounts=read("cycle_discounts", percents, {}),
        min_seats=read("min_seats", _int, 1),
        max_seats=read("max_seats", optional_int, None),
        trial_days=read("trial_days", _int, 0),
        allowances=read("allowances", int_map, {}),
        features=read("features", features, frozenset()),
        description=read("description", _text if limits else _str, ""),
        pay_per_day=read("pay_per_day", _bool, False),
        charges=read("charges", charges, ()),
    )
    # A price list that could not be read has been reported; "a plan needs a price" would
    # only repeat it.
    unreadable = any(
        re.match(rf"{re.escape(prefix)}(base_)?prices($|[.\[])", e.field or "")
        for e in checks.errors
    )
    for check in (terms.validated, terms.within_limits) if limits else (terms.validated,):
        try:
            check()
        except DomainError as exc:
            for error in exc.errors if isinstance(exc, InvalidInput) else [exc]:
                if unreadable and error.code == ec.REQUIRED and error.field == "prices":
                    continue
                checks.add(under(prefix, _at_input_index(error, kept)))
    checks.raise_if_any()  # conversion and rule errors together, every one with its path
    return terms


def policy_to_data(policy: ChangePolicy) -> dict[str, Any]:
    return {
        "upgrade": policy.upgrade.value,
        "downgrade": policy.downgrade.value,
        "seats_down": policy.seats_down.value,
        "cycle_change": policy.cycle_change,
        "change_invoicing": policy.change_invoicing.value,
    }


def policy_from_data(data: object, path: str = "policy") -> ChangePolicy:
    raw = _mapping(data if data is not None else {}, path)
    checks = Checks()
    for key in _unknown_keys(raw, POLICY_FIELDS, f"{path}."):
        checks.add(InvalidValue("unknown field", field=key, code=ec.UNKNOWN_FIELD))

    def timing(key: str) -> Timing:
        value = raw.get(key, getattr(ChangePolicy(), key).value)
        try:
            return Timing(_str(value, f"{path}.{key}"))
        except ValueError:
            raise InvalidValue("use now or term_end", field=f"{path}.{key}") from None

    upgrade = checks.run(timing, "upgrade")
    downgrade = checks.run(timing, "downgrade")
    seats_down = checks.run(timing, "seats_down")
    cycle_change = checks.run(_bool, raw.get("cycle_change", True), f"{path}.cycle_change")

    def invoicing() -> ChangeInvoicing:
        key = f"{path}.change_invoicing"
        value = raw.get("change_invoicing", ChangeInvoicing.NEXT_INVOICE.value)
        try:
            return ChangeInvoicing(_str(value, key))
        except ValueError:
            raise InvalidValue("use next_invoice or immediately", field=key) from None

    change_invoicing = checks.run(invoicing)
    checks.raise_if_any()
    assert upgrade and downgrade and seats_down and cycle_change is not None
    assert change_invoicing is not None
    return ChangePolicy(upgrade, downgrade, seats_down, cycle_change, change_invoicing)


def prices_from_data(
    value: object, path: str = "prices", *, limits: bool = True
) -> tuple[Price, ...]:
    """A list of {currency, cycle, amount}, each checked; duplicates and bad values named.
    ``limits=False`` skips the upper bounds (stored prices may predate them)."""
    checks = Checks()
    found = [checks.run(_price, item, f"{path}[{i}]") for i, item in enumerate(_list(value, path))]
    seen: set[tuple[str, Cycle]] = set()
    for i, price in enumerate(found):  # indexes of the input, unreadable entries included
        if price is None:
            continue
        checks.run(Currency.of, price.currency, field=f"{path}[{i}].currency")
        if price.amount < 0:
            checks.add(
                InvalidValue(
                    "a price cannot be negative", field=f"{path}[{i}].amount", code=ec.NEGATIVE
                )
            )
        if limits:
            checks.run(cycle_length, price.cycle, f"{path}[{i}].cycle")
            checks.run(at_most, price.amount, MAX_PRICE, f"{path}[{i}].amount", "a price")
        if (price.currency, price.cycle) in seen:
            checks.add(
                InvalidValue(
                    f"two prices for {price.currency} per {price.cycle.name}",
                    field=f"{path}[{i}]",
                    code=ec.DUPLICATE_PRICE,
                )
            )
        seen.add((price.currency, price.cycle))
    checks.raise_if_any()
    return tuple(p for p in found if p is not None)


def prices_to_data(prices: tuple[Price, ...]) -> list[dict[str, Any]]:
    return [{"currency": p.currency, "cycle": p.cycle.name, "amount": p.amount} for p in prices]


def amounts_from_data(value: object, path: str, maximum: int = MAX_ALLOWANCE) -> dict[str, int]:
    """name -> whole number from 0 to ``maximum``: one-off prices by currency (give
    MAX_PRICE), allowance grants by name."""
    checks = Checks()
    result = {}
    for key, amount in _mapping(value, path).items():
        number = checks.run(_int, amount, f"{path}.{key}")
        if number is not None and number < 0:
            checks.add(InvalidValue("cannot be negative", field=f"{path}.{key}", code=ec.NEGATIVE))
        elif number is not None:
            checks.run(at_most, number, maximum, f"{path}.{key}", str(key))
        result[str(key)] = number or 0
    checks.raise_if_any()
    return result


def codes_from_data(value: object, path: str) -> frozenset[str]:
    checks = Checks()
    codes = [
        checks.run(check_code, _str(v, f"{path}[{i}]"), f"{path}[{i}]")
        for i, v in enumerate(_list(value, path))
    ]
    checks.raise_if_any()
    return frozenset(c for c in codes if c)
