"""The catalog as a file an operator keeps in git: export it, compare it, apply it.

export_catalog writes what an organization offers as plain data (YAML-ready, deterministic).
diff_catalog says what applying a document would change; apply_catalog writes every change
in one unit of work, so a failure writes nothing, and a second run of the same document
finds everything unchanged and writes nothing. A plan whose terms or channels change gets a
new version, published with the entry's apply_to_existing (never by default), by the same
rule as publishing from the API. Nothing missing from the document is archived or deleted.
Reading and checking a document is in catalog_document.py; the format in docs/catalog-file.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

from plansmith.application.catalog.charges import check_meters
from plansmith.application.catalog.document import (
    AddOnEntry,
    CatalogDocument,
    FamilyEntry,
    PackEntry,
    PlanEntry,
    dump_yaml,
    load_yaml,
    read_catalog,
)
from plansmith.application.catalog.publishing import _publish
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.catalog.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog.plans import Channel, Plan, PlanFamily, PlanVersion, VersionStatus
from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.catalog.terms_data import policy_to_data, prices_to_data, terms_to_data
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidInput, InvalidValue

__all__ = [
    "CatalogDocument",
    "Change",
    "ChangeKind",
    "apply_catalog",
    "diff_catalog",
    "dump_yaml",
    "export_catalog",
    "load_yaml",
    "read_catalog",
]


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    what: str  # family, plan, add_on, extra_pack
    code: str
    details: tuple[str, ...] = ()  # e.g. "terms.base_prices.USD: 1999 -> 2499"


# -- plain data, shared by export and comparison ------------------------------------------

_TERMS_DEFAULTS = terms_to_data(PlanTerms())


def _channels(channels: frozenset[Channel]) -> list[str]:
    return [c.value for c in Channel if c in channels]


def _family_data(f: PlanFamily | FamilyEntry) -> dict[str, Any]:
    return {"code": f.code, "name": f.name, "policy": policy_to_data(f.policy)}


def _plan_data(
    code: str,
    name: str,
    family: str,
    rank: int,
    channels: frozenset[Channel],
    terms: PlanTerms,
    compact: bool = True,
) -> dict[str, Any]:
    data = terms_to_data(terms)
    # Left-out terms take their defaults, so a file says only what differs from them.
    if compact:
        data = {k: v for k, v in data.items() if k == "pricing" or v != _TERMS_DEFAULTS.get(k, [])}
    return {
        "code": code,
        "name": name,
        "family": family,
        "rank": rank,
        "channels": _channels(channels),
        "terms": data,
    }


def _add_on_data(a: AddOn | AddOnEntry) -> dict[str, Any]:
    return {
        "code": a.code,
        "name": a.name,
        "prices": prices_to_data(a.prices),
        "quantity_allowed": a.quantity_allowed,
        "fits_families": sorted(a.fits_families),
        "fits_plans": sorted(a.fits_plans),
        "features": sorted(a.features),
        "allowances": dict(sorted(a.allowances.items())),
        "description": a.description,
    }


def _pack_data(p: ExtraPack | PackEntry) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "prices": dict(sorted(p.prices.items())),
        "allowance": p.allowance,
        "amount": p.amount,
        "description": p.description,
    }


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Without the optional fields that are empty or false."""
    return {k: v for k, v in data.items() if not (v is False or v in ("", [], {}))}


@dataclass
class _Catalog:
    """What an organization has, by code."""

    families: dict[str, PlanFamily] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    versions: dict[str, list[PlanVersion]] = field(default_factory=dict)  # by plan id
    add_ons: dict[str, AddOn] = field(default_factory=dict)
    extra_packs: dict[str, ExtraPack] = field(default_factory=dict)

    @classmethod
    def load(cls, uow: UnitOfWork, organization_id: str) -> _Catalog:
        found = cls(
            families={f.code: f for f in uow.families.list(organization_id)},
            plans={p.code: p for p in uow.plans.list(organization_id)},
            add_ons={a.code: a for a in uow.add_ons.list(organization_id)},
            extra_packs={p.code: p for p in uow.extra_packs.list(organization_id)},
        )
        for version in uow.plan_versions.for_plans([p.id for p in found.plans.values()]):
            found.versions.setdefault(version.plan_id, []).append(version)
        return found

    def shown(self, plan: Plan) -> PlanVersion | None:
        """The version a file describes: the current one, or the draft if never published."""
        versions = self.versions.get(plan.id, [])
        by_status = {v.status: v for v in versions}
        return by_status.get(VersionStatus.CURRENT) or by_status.get(VersionStatus.DRAFT)


def export_catalog(uow: UnitOfWork, organization_id: str) -> dict[str, Any]:
    """Families, live plans, add-ons and extra packs, in a stable order, ready to dump."""
    with uow:
        have = _Catalog.load(uow, organization_id)
    family_codes = {f.id: f.code for f in have.families.values()}
    plans = []
    for plan in have.plans.values():  # by family, rank and code
        version = have.shown(plan)
        if plan.archived_at is None and version is not None:
            family = family_codes[plan.family_id]
            plans.append(
                _plan_data(plan.code, plan.name, family, plan.rank, version.channels, version.terms)
            )
    return {
        "families": [_family_data(f) for f in have.families.values()],
        "plans": plans,
        "add_ons": [
            _compact(_add_on_data(a)) for a in have.add_ons.values() if a.archived_at is None
        ],
        "extra_packs": [
            _compact(_pack_data(p)) for p in have.extra_packs.values() if p.archived_at is None
        ],
    }


# -- comparing ----------------------------------------------------------------------------


def _flat(value: object, path: str, into: dict[str, str]) -> dict[str, str]:
    """Leaves by dotted path; prices by currency and cycle, so their order does not matter."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flat(item, f"{path}.{key}" if path else str(key), into)
    elif path.endswith("charges") and isinstance(value, list):
        # Charges by meter and currency (one each), each compared whole.
        for charge in value:
            key = f"{charge.get('meter')}/{charge.get('currency')}"
            into[f"{path}.{key}"] = json.dumps(charge, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for price in value:
            into[f"{path}.{price['currency']}/{price['cycle']}"] = str(price["amount"])
    else:
        into[path] = json.dumps(value, ensure_ascii=False)
    return into


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    before, after = _flat(old, "", {}), _flat(new, "", {})
    return tuple(
        f"{key}: {before.get(key) or '(none)'} -> {after.get(key) or '(none)'}"
        for key in sorted(set(before) | set(after), key=_order(old, new))
        if before.get(key) != after.get(key)
    )


def _order(old: Mapping[str, Any], new: Mapping[str, Any]) -> Callable[[str], tuple[int, str]]:
    """Top-level fields in the document's order, then the path."""
    fields = list(dict.fromkeys([*old, *new]))
    return lambda key: (fields.index(key.split(".")[0]), key)


_Write = Callable[[datetime], object]  # given the time of the apply
_Step = tuple[Change, _Write | None]
# what, section (of the document, the unit of work and _Catalog), id prefix, type, data
_SIMPLE: dict[str, tuple[str, str, type[Any], Callable[[Any], dict[str, Any]]]] = {
    "families": ("family", "fam", PlanFamily, _family_data),
    "add_ons": ("add_on", "addon", AddOn, _add_on_data),
    "extra_packs": ("extra_pack", "pack", ExtraPack, _pack_data),
}


def _steps(uow: UnitOfWork, organization_id: str, doc: CatalogDocument) -> list[_Step]:
    """Every change the document makes, each with what writes it; checks references first."""
    have = _Catalog.load(uow, organization_id)
    _check_references(doc, have)
    meters = Checks()
    for i, p in enumerate(doc.plans):
        check_meters(uow, organization_id, p.terms, f"plans[{i}].terms.", meters)
    meters.raise_if_any()
    steps = _simple_steps(uow, organization_id, doc, have, "families")
    steps += [_plan_step(uow, have, organization_id, p) for p in doc.plans]
    steps += _simple_steps(uow, organization_id, doc, have, "add_ons")
    return steps + _simple_steps(uow, organization_id, doc, have, "extra_packs")


def _simple_steps(
    uow: UnitOfWork, organization_id: str, doc: CatalogDocument, have: _Catalog, section: str
) -> list[_Step]:
    """Families, add-ons and extra packs: created, or changed in place (none is versioned)."""
    what, prefix, kind, data = _SIMPLE[section]
    repository, steps = getattr(uow, section), list[_Step]()
    for entry in getattr(doc, section):
        values = {key: getattr(entry, key) for key in type(entry).__dataclass_fields__}
        old = getattr(have, section).get(entry.code)
        if old is None:
            values.update(id=new_id(prefix), organization_id=organization_id)
            if kind is not PlanFamily:
                values["archived_at"] = None
            write = partial(_add, repository.add, kind, values)
            steps.append((Change(ChangeKind.CREATE, what, entry.code), write))
        else:
            details = _differences(data(old), data(entry))
            write = partial(_put, repository.update, replace(old, **values))
            steps.append(_step(what, entry.code, details, write))
    return steps


def _add(
    add: Callable[[Any], None], kind: type[Any], values: dict[str, Any], now: datetime
) -> None:
    add(kind(**values, created_at=now))


def _put(update: Callable[[Any], None], changed: object, now: datetime) -> None:
    update(changed)


def _step(what: str, code: str, details: Sequence[str], write: _Write) -> _Step:
    if not details:
        return Change(ChangeKind.UNCHANGED, what, code), None
    return Change(ChangeKind.UPDATE, what, code, tuple(details)), write


def _plan_step(uow: UnitOfWork, have: _Catalog, organization_id: str, p: PlanEntry) -> _Step:
    plan = have.plans.get(p.code)
    if plan is None:
        summary = (f"family {p.family}, rank {p.rank}", "publishes version 1")
        write = partial(_add_plan, uow, organization_id, p)
        return Change(ChangeKind.CREATE, "plan", p.code, summary), write
    shown = have.shown(plan)
    assert shown is not None  # a plan always has a current version or a draft
    family = next(f.code for f in have.families.values() if f.id == plan.family_id)
    old = _plan_data(plan.code, plan.name, family, plan.rank, shown.channels, shown.terms, False)
    new = _plan_data(p.code, p.name, p.family, p.rank, p.channels, p.terms, False)
    details = list(_differences(old, new))
    versions = have.versions[plan.id]
    unpublished = shown.status is VersionStatus.DRAFT
    new_version = unpublished or any(d.startswith(("terms.", "channels:")) for d in details)
    if new_version:
        draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
        number = draft.number if draft else versions[-1].number + 1
        replacing = " (replacing its unpublished draft)" if draft and not unpublished else ""
        apply = "" if unpublished else f"; existing subscribers: {p.apply_to_existing.value}"
        details.append(f"publishes version {number}{replacing}{apply}")
    return _step(
        "plan", p.code, details, partial(_update_plan, uow, plan, versions, p, new_version)
    )


def _add_plan(uow: UnitOfWork, organization_id: str, p: PlanEntry, now: datetime) -> None:
    family = uow.families.by_code(organization_id, p.family)
    assert family is not None  # checked, or created earlier in this unit of work
    plan = Plan(new_id("plan"), organization_id, family.id, p.code, p.name, p.rank, None, now)
    uow.plans.add(plan)
    current = VersionStatus.CURRENT
    version = PlanVersion(
        new_id("pver"), plan.id, 1, current, p.name, p.terms, p.channels, now, now
    )
    uow.plan_versions.add(version)


def _update_plan(
    uow: UnitOfWork,
    plan: Plan,
    versions: Sequence[PlanVersion],
    p: PlanEntry,
    new_version: bool,
    now: datetime,
) -> None:
    """Rename or re-rank in place; new terms or channels are a new version, published."""
    if (plan.name, plan.rank) != (p.name, p.rank):
        plan = replace(plan, name=p.name, rank=p.rank)
        uow.plans.update(plan)
    if not new_version:
        return
    draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
    if draft is None:
        number, status = versions[-1].number + 1, VersionStatus.DRAFT
        draft = PlanVersion(
            new_id("pver"), plan.id, number, status, plan.name, p.terms, p.channels, now
        )
        uow.plan_versions.add(draft)
    else:
        draft = replace(draft, name=plan.name, terms=p.terms, channels=p.channels)
        uow.plan_versions.update(draft)
    _publish(uow, plan, versions, draft, p.apply_to_existing, None, now)


def _check_references(doc: CatalogDocument, have: _Catalog) -> None:
    """What only the organization's catalog can confirm, every wrong one named by its path."""
    checks = Checks()
    families = {f.code for f in doc.families} | set(have.families)
    plans = {p.code for p in doc.plans} | set(have.plans)
    family_of = {f.id: code for code, f in have.families.items()}
    for i, p in enumerate(doc.plans):
        plan, where = have.plans.get(p.code), f"plans[{i}].family"
        if p.family not in families:
            message = f"no plan family {p.family!r} in the file or the catalog"
            checks.add(InvalidValue(message, field=where, code=ec.UNKNOWN_REFERENCE))
        elif plan is not None and family_of[plan.family_id] != p.family:
            message = f"plan {p.code!r} is in family {family_of[plan.family_id]!r}; it cannot move"
            checks.add(InvalidValue(message, field=where, code=ec.FAMILY_FIXED))
    for i, a in enumerate(doc.add_ons):
        for key, known in (("fits_families", families), ("fits_plans", plans)):
            for code in sorted(getattr(a, key) - known):
                message = f"{code!r} is in neither the file nor the catalog"
                checks.add(
                    InvalidValue(message, field=f"add_ons[{i}].{key}", code=ec.UNKNOWN_REFERENCE)
                )
    for section in ("plans", "add_ons", "extra_packs"):
        for i, entry in enumerate(getattr(doc, section)):
            old = getattr(have, section).get(entry.code)
            if old is not None and old.archived_at is not None:
                message = f"{entry.code!r} is archived; give the entry another code"
                checks.add(InvalidValue(message, field=f"{section}[{i}].code", code=ec.ARCHIVED))
    if checks.errors:
        raise InvalidInput(checks.errors)


def diff_catalog(uow: UnitOfWork, organization_id: str, doc: CatalogDocument) -> list[Change]:
    """What apply_catalog would do now, writing nothing."""
    with uow:
        return [change for change, _ in _steps(uow, organization_id, doc)]


def apply_catalog(
    uow: UnitOfWork, clock: Clock, organization_id: str, doc: CatalogDocument
) -> list[Change]:
    """Write every change of the document in one transaction; unchanged entries write nothing."""
    with uow:
        steps = _steps(uow, organization_id, doc)
        writes = [write for _, write in steps if write is not None]
        now = clock.now()
        for write in writes:
            write(now)
        if writes:
            uow.commit()
    return [change for change, _ in steps]
