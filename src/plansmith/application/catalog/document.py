"""A catalog document (a YAML file an operator keeps in git), read and checked as a whole.

read_catalog names every wrong value by its path inside the document
("plans[2].terms.prices[0].amount"), all of them at once, before anything is compared or
written. Comparing and applying are in catalog_file.py; the format is in docs/catalog-file.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from plansmith.application.catalog.plans import _rank
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.plans import ApplyToExisting, ChangePolicy, Channel, channels_of
from plansmith.domain.catalog.terms import PlanTerms, Price, check_code
from plansmith.domain.catalog.terms_data import (
    amounts_from_data,
    codes_from_data,
    policy_from_data,
    prices_from_data,
    terms_from_data,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, DomainError, InvalidInput, InvalidValue
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_PRICE, at_most
from plansmith.domain.kernel.money import Currency

T = TypeVar("T")


@dataclass(frozen=True)
class FamilyEntry:
    code: str
    name: str
    policy: ChangePolicy


@dataclass(frozen=True)
class PlanEntry:
    code: str
    name: str
    family: str  # a family code
    rank: int
    channels: frozenset[Channel]
    apply_to_existing: ApplyToExisting  # for a new version of an existing plan
    terms: PlanTerms


@dataclass(frozen=True)
class AddOnEntry:
    code: str
    name: str
    prices: tuple[Price, ...]
    quantity_allowed: bool
    fits_families: frozenset[str]
    fits_plans: frozenset[str]
    features: frozenset[str]
    allowances: Mapping[str, int]
    description: str


@dataclass(frozen=True)
class PackEntry:
    code: str
    name: str
    prices: Mapping[str, int]
    allowance: str
    amount: int
    description: str


@dataclass(frozen=True)
class CatalogDocument:
    source: str  # the file it was read from, for messages
    families: tuple[FamilyEntry, ...] = ()
    plans: tuple[PlanEntry, ...] = ()
    add_ons: tuple[AddOnEntry, ...] = ()
    extra_packs: tuple[PackEntry, ...] = ()


# -- reading -----------------------------------------------------------------------------


def _at(check: Callable[[Any], T]) -> Callable[[object, str], T]:
    """A check that names a bare field ("name"), made to name the path it was read at."""

    def read(value: object, where: str) -> T:
        try:
            return check(value)
        except DomainError as exc:
            raise InvalidValue(exc.message, field=where, code=exc.code) from None

    return read


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected text, got {value!r}")
    return value


def _apply(value: object) -> ApplyToExisting:
    try:
        return ApplyToExisting(_text(value))
    except ValueError:
        raise InvalidValue("apply_to_existing is never, at_renewal or now") from None


def _positive(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue("must be a whole number of at least 1")
    return at_most(value, MAX_ALLOWANCE, "amount", "an extra pack's amount")


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {value!r}")
    return value


_code = _at(lambda v: check_code(_text(v)))
_name = _at(lambda v: require_text(_text(v), "name"))
_description = _at(lambda v: require_text(_text(v), "description", max_length=2000, required=False))


def _channels(value: object, where: str) -> frozenset[Channel]:
    if not isinstance(value, list):
        raise InvalidValue("expected a list, e.g. [signup, website, portal]", field=where)
    checks = Checks()
    found = [checks.run(channels_of, [v], f"{where}[{i}]") for i, v in enumerate(value)]
    checks.raise_if_any()
    return frozenset().union(*(f for f in found if f))


def _pack_prices(value: object, where: str) -> dict[str, int]:
    prices = amounts_from_data(value, where, MAX_PRICE)
    checks = Checks()
    for currency in prices:
        checks.run(Currency.of, currency, field=f"{where}.{currency}")
    if not prices:
        checks.add(InvalidValue("an extra pack needs a price", field=where, code=ec.REQUIRED))
    checks.raise_if_any()
    return prices


def _add_on_prices(value: object, where: str) -> tuple[Price, ...]:
    prices = prices_from_data(value, where)
    if not prices:
        raise InvalidValue("an add-on needs at least one price", field=where, code=ec.REQUIRED)
    return prices


_REQUIRED: Any = object()


class _Entry:
    """One item of a section; every value read from it reports its error under its path.

    A wrong value reads as None: the document is then refused, so it is never used.
    """

    def __init__(self, raw: object, path: str, fields: tuple[str, ...], checks: Checks) -> None:
        self.path, self.checks = path, checks
        self.mapping = isinstance(raw, Mapping)
        self.raw: Mapping[Any, Any] = raw if isinstance(raw, Mapping) else {}
        if not self.mapping:
            checks.add(InvalidValue("expected a mapping of fields to values", field=path))
        for key in self.raw:
            if key not in fields:
                checks.add(
                    InvalidValue("unknown field", field=f"{path}.{key}", code=ec.UNKNOWN_FIELD)
                )

    def get(self, key: str, read: Callable[[Any, str], Any], default: Any = _REQUIRED) -> Any:
        where = f"{self.path}.{key}"
        if self.raw.get(key) is None:
            if default is _REQUIRED and self.mapping:
                self.checks.add(InvalidValue(f"{key} is required", field=where, code=ec.REQUIRED))
            return None if default is _REQUIRED else default
        return self.checks.run(read, self.raw[key], where)


def _family(e: _Entry) -> FamilyEntry:
    policy = e.get("policy", policy_from_data, ChangePolicy())
    return FamilyEntry(e.get("code", _code), e.get("name", _name), policy)


def _plan(e: _Entry) -> PlanEntry:
    return PlanEntry(
        code=e.get("code", _code),
        name=e.get("name", _name),
        family=e.get("family", _code),
        rank=e.get("rank", _at(_rank), 0),
        channels=e.get("channels", _channels, frozenset({Channel.INTERNAL})),
        apply_to_existing=e.get("apply_to_existing", _at(_apply), ApplyToExisting.NEVER),
        terms=e.get("terms", terms_from_data),
    )


def _add_on(e: _Entry) -> AddOnEntry:
    return AddOnEntry(
        code=e.get("code", _code),
        name=e.get("name", _name),
        prices=e.get("prices", _add_on_prices),
        quantity_allowed=e.get("quantity_allowed", _at(_flag), False),
        fits_families=e.get("fits_families", codes_from_data, frozenset()),
        fits_plans=e.get("fits_plans", codes_from_data, frozenset()),
        features=e.get("features", codes_from_data, frozenset()),
        allowances=e.get("allowances", amounts_from_data, {}),
        description=e.get("description", _description, ""),
    )


def _pack(e: _Entry) -> PackEntry:
    return PackEntry(
        code=e.get("code", _code),
        name=e.get("name", _name),
        prices=e.get("prices", _pack_prices),
        allowance=e.get("allowance", _code),
        amount=e.get("amount", _at(_positive)),
        description=e.get("description", _description, ""),
    )


_SECTIONS: dict[str, tuple[tuple[str, ...], Callable[[_Entry], Any]]] = {
    "families": (("code", "name", "policy"), _family),
    "plans": (
        ("code", "name", "family", "rank", "channels", "apply_to_existing", "terms"),
        _plan,
    ),
    "add_ons": (tuple(AddOnEntry.__dataclass_fields__), _add_on),
    "extra_packs": (tuple(PackEntry.__dataclass_fields__), _pack),
}


def read_catalog(data: object, source: str) -> CatalogDocument:
    """The document, or an InvalidInput naming every wrong value by its path in it."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        sections = ", ".join(_SECTIONS)
        raise InvalidInput([InvalidValue(f"a catalog is a mapping with {sections}")])
    checks = Checks()
    for key in data:
        if key not in _SECTIONS:
            checks.add(InvalidValue("unknown section", field=str(key), code=ec.UNKNOWN_FIELD))
    read: dict[str, tuple[Any, ...]] = {}
    for section, (fields, build) in _SECTIONS.items():
        items = data.get(section)
        items = [] if items is None else items
        if not isinstance(items, list):
            checks.add(InvalidValue("expected a list", field=section))
            items = []
        entries = [
            build(_Entry(raw, f"{section}[{i}]", fields, checks)) for i, raw in enumerate(items)
        ]
        first: dict[str, int] = {}
        for i, entry in enumerate(entries):
            if entry.code in first:
                where = f"{section}[{first[entry.code]}]"
                checks.add(
                    InvalidValue(
                        f"{entry.code!r} appears twice; first at {where}",
                        field=f"{section}[{i}].code",
                        code=ec.DUPLICATE_ENTRY,
                    )
                )
            elif entry.code is not None:
                first[entry.code] = i
        read[section] = tuple(entries)
    if checks.errors:
        raise InvalidInput(checks.errors)
    return CatalogDocument(source, *read.values())


def load_yaml(text: str) -> object:
    """Parsed YAML; a syntax error or a repeated key is reported with its line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise InvalidInput([InvalidValue(f"not valid YAML: {problem}", field=where)]) from None
    except yaml.YAMLError as exc:
        raise InvalidInput([InvalidValue(f"not valid YAML: {exc}")]) from None


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """Safe YAML that refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" keys may be overridden; that is what they are for
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Dumper(yaml.SafeDumper):  # type: ignore[misc, unused-ignore]
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)  # list items indented under their key


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Block style, with short lists and mappings of plain values on one line each."""
    return str(
        yaml.dump(
            dict(data),
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=None,
        )
    )
