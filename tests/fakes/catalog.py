"""Fakes of the catalog ports: plan families, plans, plan versions (and moves), add-ons, packs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Generic, Protocol, TypeVar

from plansmith.application.catalog.ports import (
    AddOnRepository,
    ExtraPackRepository,
    PlanFamilyRepository,
    PlanRepository,
    PlanVersionRepository,
)
from plansmith.domain.catalog.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog.plans import (
    Plan,
    PlanFamily,
    PlanVersion,
    PlanVersionMove,
    VersionStatus,
)
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove, resolved_moves
from tests.fakes.store import FakeStore, Refused, Repo, Rows, clash


class _HasCode(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def code(self) -> str: ...


X = TypeVar("X", bound=_HasCode)


class _Coded(Repo, Generic[X]):
    """A table keyed by id with a code unique per organization, listed by code."""

    def _table(self) -> dict[str, X]:
        raise NotImplementedError

    def _insert(self, x: X) -> None:
        if x.id in self._table() or self.by_code(x.organization_id, x.code) is not None:
            raise clash()
        self._table()[x.id] = x

    def _replace_if_owned(self, x: X) -> X | None:
        """The stored row, if it is the organization's (an update matches no other row)."""
        return self.get(x.organization_id, x.id)

    def get(self, organization_id: str, id_: str) -> X | None:
        x = self._table().get(id_)
        return x if x is not None and x.organization_id == organization_id else None

    def by_code(self, organization_id: str, code: str) -> X | None:
        found = self._table().values()
        return next(
            (x for x in found if x.organization_id == organization_id and x.code == code), None
        )

    def list(self, organization_id: str) -> Sequence[X]:
        found = [x for x in self._table().values() if x.organization_id == organization_id]
        return sorted(found, key=lambda x: x.code)


class FakePlanFamilies(_Coded[PlanFamily]):
    def _table(self) -> dict[str, PlanFamily]:
        return self._rows.families

    def add(self, family: PlanFamily) -> None:
        self._insert(family)

    def update(self, family: PlanFamily) -> None:
        """Name and policy only, as the SQL update sets."""
        stored = self._replace_if_owned(family)
        if stored is not None:
            self._rows.families[family.id] = replace(stored, name=family.name, policy=family.policy)


class FakePlans(_Coded[Plan]):
    def _table(self) -> dict[str, Plan]:
        return self._rows.plans

    def add(self, plan: Plan) -> None:
        self._insert(plan)

    def update(self, plan: Plan) -> None:
        """Name, rank and archived_at only, as the SQL update sets."""
        stored = self._replace_if_owned(plan)
        if stored is not None:
            self._rows.plans[plan.id] = replace(
                stored, name=plan.name, rank=plan.rank, archived_at=plan.archived_at
            )

    def list(self, organization_id: str) -> Sequence[Plan]:
        """By family code, then rank, then code."""
        families = self._rows.families

        def key(p: Plan) -> tuple[str, int, str]:
            return (families[p.family_id].code, p.rank, p.code)

        return sorted(
            (p for p in self._rows.plans.values() if p.organization_id == organization_id), key=key
        )


class FakePlanVersions(Repo):
    def add(self, version: PlanVersion) -> None:
        self._check_unique(version, new=True)
        self._rows.plan_versions[version.id] = version

    def _check_unique(self, version: PlanVersion, *, new: bool) -> None:
        """Numbers unique per plan; at most one current and one draft version per plan."""
        others = [
            v
            for v in self._rows.plan_versions.values()
            if v.plan_id == version.plan_id and v.id != version.id
        ]
        one_of_a_kind = (VersionStatus.CURRENT, VersionStatus.DRAFT)
        if (
            (new and version.id in self._rows.plan_versions)
            or any(v.number == version.number for v in others)
            or (version.status in one_of_a_kind and any(v.status is version.status for v in others))
        ):
            raise clash()

    def update(self, version: PlanVersion) -> None:
        stored = self._rows.plan_versions.get(version.id)
        if stored is None:
            return
        # The database's trigger: a published version's terms (and number, plan) never
        # change, and it never becomes a draft again.
        if stored.status is not VersionStatus.DRAFT and (
            version.terms != stored.terms
            or version.number != stored.number
            or version.plan_id != stored.plan_id
            or version.status is VersionStatus.DRAFT
        ):
            raise Refused(f"plan version {stored.id} is published: its terms never change")
        updated = replace(
            stored,
            status=version.status,
            name=version.name,
            terms=version.terms,
            channels=version.channels,
            published_at=version.published_at,
        )
        self._check_unique(updated, new=False)
        self._rows.plan_versions[version.id] = updated

    def remove_draft(self, version_id: str) -> None:
        stored = self._rows.plan_versions.get(version_id)
        if stored is None or stored.status is not VersionStatus.DRAFT:
            raise Refused(f"plan version {version_id} is published: it cannot be deleted")
        del self._rows.plan_versions[version_id]

    def for_plan(self, plan_id: str) -> Sequence[PlanVersion]:
        return self.for_plans([plan_id])

    def for_plans(self, plan_ids: Sequence[str]) -> Sequence[PlanVersion]:
        wanted = set(plan_ids)
        found = [v for v in self._rows.plan_versions.values() if v.plan_id in wanted]
        return sorted(found, key=lambda v: (v.plan_id, v.number))

    def add_move(self, move: PlanVersionMove) -> None:
        if move.id in self._rows.plan_version_moves:
            raise clash()
        self._rows.plan_version_moves[move.id] = move

    def moves(self, plan_id: str) -> Sequence[PlanVersionMove]:
        return self.moves_of([plan_id])

    def moves_of(self, plan_ids: Sequence[str]) -> Sequence[PlanVersionMove]:
        wanted = set(plan_ids)
        found = [m for m in self._rows.plan_version_moves.values() if m.plan_id in wanted]
        return sorted(found, key=lambda m: (m.created_at, m.id))


class FakeAddOns(_Coded[AddOn]):
    def _table(self) -> dict[str, AddOn]:
        return self._rows.add_ons

    def add(self, add_on: AddOn) -> None:
        self._insert(add_on)

    def update(self, add_on: AddOn) -> None:
        if self._replace_if_owned(add_on) is not None:
            self._rows.add_ons[add_on.id] = add_on


class FakeExtraPacks(_Coded[ExtraPack]):
    def _table(self) -> dict[str, ExtraPack]:
        return self._rows.extra_packs

    def add(self, pack: ExtraPack) -> None:
        self._insert(pack)

    def update(self, pack: ExtraPack) -> None:
        if self._replace_if_owned(pack) is not None:
            self._rows.extra_packs[pack.id] = pack


# mypy checks each fake against its port here: a port change breaks the fake at lint time.
_store, _rows = FakeStore(), Rows()
_families: PlanFamilyRepository = FakePlanFamilies(_store, _rows)
_plans: PlanRepository = FakePlans(_store, _rows)
_versions: PlanVersionRepository = FakePlanVersions(_store, _rows)
_add_ons: AddOnRepository = FakeAddOns(_store, _rows)
_packs: ExtraPackRepository = FakeExtraPacks(_store, _rows)


class FakePriceBooks:
    """The price book read afresh from the fake catalog each time (the fake keeps no copy, so
    it has no revision to compare: every book it gives is the current one)."""

    def __init__(
        self,
        families: FakePlanFamilies,
        plans: FakePlans,
        versions: FakePlanVersions,
        add_ons: FakeAddOns,
    ) -> None:
        self._families, self._plans, self._versions, self._add_ons = (
            families,
            plans,
            versions,
            add_ons,
        )

    def current(self, organization_id: str) -> PriceBook:
        plans = list(self._plans.list(organization_id))
        return PriceBook(
            families={f.id: f for f in self._families.list(organization_id)},
            plans={p.id: p for p in plans},
            versions={v.id: v for v in self._versions.for_plans([p.id for p in plans])},
            add_ons={a.code: a for a in self._add_ons.list(organization_id)},
        )

    def moves(self, organization_id: str) -> Mapping[str, RenewalMove]:
        plans = [p.id for p in self._plans.list(organization_id)]
        return resolved_moves(self._versions.moves_of(plans))

    def revision(self, organization_id: str) -> int:
        return 0

    def at_revision(self, organization_id: str, revision: int) -> PriceBook:
        return self.current(organization_id)
