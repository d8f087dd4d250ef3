"""Repositories for the plan catalog: rows with JSON terms in, frozen domain objects out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.catalog.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog.plans import (
    ApplyToExisting,
    Plan,
    PlanFamily,
    PlanVersion,
    PlanVersionMove,
    VersionStatus,
    channels_of,
)
from plansmith.domain.catalog.terms_data import (
    policy_from_data,
    policy_to_data,
    prices_from_data,
    prices_to_data,
    terms_from_data,
    terms_to_data,
)

# The session.info key the unit of work reads at commit to bump catalog revisions.
TOUCHED = "plansmith.catalog_touched"


class _Catalog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _touch(self, organization_id: str) -> None:
        """Every write says whose catalog it changed: the unit of work bumps its revision."""
        self.session.info.setdefault(TOUCHED, set()).add(organization_id)

    def _one(self, table: Table, organization_id: str, **where: Any) -> Row[Any] | None:
        q = select(table).where(table.c.organization_id == organization_id)
        for column, value in where.items():
            q = q.where(table.c[column] == value)
        return self.session.execute(q).first()


def _family(row: Row[Any]) -> PlanFamily:
    data = dict(row._mapping)
    data["policy"] = policy_from_data(data["policy"])
    return PlanFamily(**data)


class SqlPlanFamilies(_Catalog):
    def _values(self, family: PlanFamily) -> dict[str, Any]:
        return {
            "id": family.id,
            "organization_id": family.organization_id,
            "code": family.code,
            "name": family.name,
            "policy": policy_to_data(family.policy),
            "created_at": family.created_at,
        }

    def add(self, family: PlanFamily) -> None:
        self._touch(family.organization_id)
        self.session.execute(insert(t.plan_families).values(**self._values(family)))

    def update(self, family: PlanFamily) -> None:
        self._touch(family.organization_id)
        c = t.plan_families.c
        self.session.execute(
            update(t.plan_families)
            .where(c.id == family.id, c.organization_id == family.organization_id)
            .values(name=family.name, policy=policy_to_data(family.policy))
        )

    def get(self, organization_id: str, family_id: str) -> PlanFamily | None:
        row = self._one(t.plan_families, organization_id, id=family_id)
        return _family(row) if row else None

    def by_code(self, organization_id: str, code: str) -> PlanFamily | None:
        row = self._one(t.plan_families, organization_id, code=code)
        return _family(row) if row else None

    def list(self, organization_id: str) -> Sequence[PlanFamily]:
        c = t.plan_families.c
        q = select(t.plan_families).where(c.organization_id == organization_id).order_by(c.code)
        return [_family(row) for row in self.session.execute(q)]


class SqlPlans(_Catalog):
    def add(self, plan: Plan) -> None:
        self._touch(plan.organization_id)
        self.session.execute(insert(t.plans).values(**plan.__dict__))

    def update(self, plan: Plan) -> None:
        self._touch(plan.organization_id)
        c = t.plans.c
        self.session.execute(
            update(t.plans)
            .where(c.id == plan.id, c.organization_id == plan.organization_id)
            .values(name=plan.name, rank=plan.rank, archived_at=plan.archived_at)
        )

    def get(self, organization_id: str, plan_id: str) -> Plan | None:
        row = self._one(t.plans, organization_id, id=plan_id)
        return Plan(**row._mapping) if row else None

    def by_code(self, organization_id: str, code: str) -> Plan | None:
        row = self._one(t.plans, organization_id, code=code)
        return Plan(**row._mapping) if row else None

    def list(self, organization_id: str) -> Sequence[Plan]:
        p, f = t.plans.c, t.plan_families.c
        q = (
            select(t.plans)
            .join(t.plan_families, f.id == p.family_id)
            .where(p.organization_id == organization_id)
            .order_by(f.code, p.rank, p.code)
        )
        return [Plan(**row._mapping) for row in self.session.execute(q)]


def _version(row: Row[Any]) -> PlanVersion:
    data = dict(row._mapping)
    data.pop("organization_id")
    data["status"] = VersionStatus(data["status"])
    data["terms"] = terms_from_data(data["terms"], limits=False)
    data["channels"] = channels_of(data["channels"])
    return PlanVersion(**data)


class SqlPlanVersions(_Catalog):
    def add(self, version: PlanVersion) -> None:
        organization_id = self.session.execute(
            select(t.plans.c.organization_id).where(t.plans.c.id == version.plan_id)
        ).scalar_one()
        self._touch(organization_id)
        self.session.execute(
            insert(t.plan_versions).values(
                organization_id=organization_id,
                **self._values(version),
                id=version.id,
                plan_id=version.plan_id,
                number=version.number,
                created_at=version.created_at,
            )
        )

    @staticmethod
    def _values(version: PlanVersion) -> dict[str, Any]:
        return {
            "status": version.status.value,
            "name": version.name,
            "terms": terms_to_data(version.terms),
            "channels": sorted(c.value for c in version.channels),
            "published_at": version.published_at,
        }

    def update(self, version: PlanVersion) -> None:
        c = t.plan_versions.c
        organization_id = self.session.execute(
            update(t.plan_versions)
            .where(c.id == version.id)
            .values(**self._values(version))
            .returning(c.organization_id)
        ).scalar_one()
        self._touch(organization_id)

    def remove_draft(self, version_id: str) -> None:
        c = t.plan_versions.c
        organization_id = self.session.execute(
            delete(t.plan_versions)
            .where(c.id == version_id, c.status == VersionStatus.DRAFT.value)
            .returning(c.organization_id)
        ).scalar_one()
        self._touch(organization_id)

    def for_plan(self, plan_id: str) -> Sequence[PlanVersion]:
        return self.for_plans([plan_id])

    def for_plans(self, plan_ids: Sequence[str]) -> Sequence[PlanVersion]:
        if not plan_ids:
            return []
        c = t.plan_versions.c
        q = select(t.plan_versions).where(c.plan_id.in_(plan_ids)).order_by(c.plan_id, c.number)
        return [_version(row) for row in self.session.execute(q)]

    def add_move(self, move: PlanVersionMove) -> None:
        self._touch(move.organization_id)
        values = dict(
            move.__dict__, from_version_ids=list(move.from_version_ids), apply=move.apply.value
        )
        self.session.execute(insert(t.plan_version_moves).values(**values))

    def moves(self, plan_id: str) -> Sequence[PlanVersionMove]:
        return self.moves_of([plan_id])

    def moves_of(self, plan_ids: Sequence[str]) -> Sequence[PlanVersionMove]:
        if not plan_ids:
            return []
        c = t.plan_version_moves.c
        q = (
            select(t.plan_version_moves)
            .where(c.plan_id.in_(sorted(set(plan_ids))))
            .order_by(c.created_at, c.id)
        )
        return [move_of_row(row) for row in self.session.execute(q)]


def move_of_row(row: Row[Any]) -> PlanVersionMove:
    return PlanVersionMove(
        **dict(
            row._mapping,
            from_version_ids=tuple(row.from_version_ids),
            apply=ApplyToExisting(row.apply),
        )
    )


def _add_on(row: Row[Any]) -> AddOn:
    data = dict(row._mapping)
    data["prices"] = prices_from_data(data["prices"], limits=False)
    for key in ("fits_families", "fits_plans", "features"):
        data[key] = frozenset(data[key])
    return AddOn(**data)


class SqlAddOns(_Catalog):
    @staticmethod
    def _values(add_on: AddOn) -> dict[str, Any]:
        return dict(
            add_on.__dict__,
            prices=prices_to_data(add_on.prices),
            fits_families=sorted(add_on.fits_families),
            fits_plans=sorted(add_on.fits_plans),
            features=sorted(add_on.features),
            allowances=dict(add_on.allowances),
        )

    def add(self, add_on: AddOn) -> None:
        self._touch(add_on.organization_id)
        self.session.execute(insert(t.add_ons).values(**self._values(add_on)))

    def update(self, add_on: AddOn) -> None:
        self._touch(add_on.organization_id)
        c = t.add_ons.c
        self.session.execute(
            update(t.add_ons)
            .where(c.id == add_on.id, c.organization_id == add_on.organization_id)
            .values(**self._values(add_on))
        )

    def get(self, organization_id: str, add_on_id: str) -> AddOn | None:
        row = self._one(t.add_ons, organization_id, id=add_on_id)
        return _add_on(row) if row else None

    def by_code(self, organization_id: str, code: str) -> AddOn | None:
        row = self._one(t.add_ons, organization_id, code=code)
        return _add_on(row) if row else None

    def list(self, organization_id: str) -> Sequence[AddOn]:
        c = t.add_ons.c
        q = select(t.add_ons).where(c.organization_id == organization_id).order_by(c.code)
        return [_add_on(row) for row in self.session.execute(q)]


class SqlExtraPacks(_Catalog):
    def add(self, pack: ExtraPack) -> None:
        self._touch(pack.organization_id)
        self.session.execute(
            insert(t.extra_packs).values(**dict(pack.__dict__, prices=dict(pack.prices)))
        )

    def update(self, pack: ExtraPack) -> None:
        self._touch(pack.organization_id)
        c = t.extra_packs.c
        self.session.execute(
            update(t.extra_packs)
            .where(c.id == pack.id, c.organization_id == pack.organization_id)
            .values(**dict(pack.__dict__, prices=dict(pack.prices)))
        )

    def get(self, organization_id: str, pack_id: str) -> ExtraPack | None:
        row = self._one(t.extra_packs, organization_id, id=pack_id)
        return ExtraPack(**row._mapping) if row else None

    def by_code(self, organization_id: str, code: str) -> ExtraPack | None:
        row = self._one(t.extra_packs, organization_id, code=code)
        return ExtraPack(**row._mapping) if row else None

    def list(self, organization_id: str) -> Sequence[ExtraPack]:
        c = t.extra_packs.c
        q = select(t.extra_packs).where(c.organization_id == organization_id).order_by(c.code)
        return [ExtraPack(**row._mapping) for row in self.session.execute(q)]
