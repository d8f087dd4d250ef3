"""Use cases for the plan catalog: families, plans and their versions, editing, copying.

Add-ons, extra packs and the public price list are in catalog_extras.py; publishing a draft
is in publishing.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from plansmith.application.catalog.charges import check_meters
from plansmith.application.catalog.shown import check_shown
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.plans import (
    Channel,
    Plan,
    PlanFamily,
    PlanVersion,
    PlanVersionMove,
    PublishedVersionImmutable,
    VersionStatus,
    channels_of,
)
from plansmith.domain.catalog.terms import check_code
from plansmith.domain.catalog.terms_data import terms_from_data, terms_to_data
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import MAX_RANK


@dataclass(frozen=True)
class PlanView:
    """A plan with every version, oldest first, and the family it belongs to."""

    plan: Plan
    family: PlanFamily
    versions: Sequence[PlanVersion]
    moves: Sequence[PlanVersionMove] = ()

    @property
    def current(self) -> PlanVersion | None:
        return next((v for v in self.versions if v.status is VersionStatus.CURRENT), None)

    @property
    def draft(self) -> PlanVersion | None:
        return next((v for v in self.versions if v.status is VersionStatus.DRAFT), None)


@dataclass(frozen=True)
class PlanInput:
    code: str
    name: str
    family: str  # family code
    rank: int = 0
    terms: Mapping[str, Any] = field(default_factory=dict)
    channels: Sequence[str] = (Channel.INTERNAL.value,)
    publish: bool = False  # publish version 1 at once instead of leaving it a draft


def create_plan(uow: UnitOfWork, clock: Clock, organization_id: str, data: PlanInput) -> PlanView:
    """A plan and its first version: a draft, or current when `publish` is set."""
    checks = Checks()
    code = checks.run(check_code, data.code)
    name = checks.run(require_text, data.name, "name")
    rank = checks.run(_rank, data.rank)
    terms = checks.run(terms_from_data, data.terms, "terms")
    channels = checks.run(channels_of, data.channels)
    checks.raise_if_any()
    assert code and name and terms and channels is not None and rank is not None
    now = clock.now()
    with uow:
        meters = Checks()
        check_meters(uow, organization_id, terms, "terms.", meters)
        meters.raise_if_any()
        family = uow.families.by_code(organization_id, data.family)
        if family is None:
            raise NotFound(f"no plan family with code {data.family!r}", field="family")
        if uow.plans.by_code(organization_id, code) is not None:
            raise Conflict(f"a plan {code!r} exists already", field="code", code=ec.DUPLICATE_CODE)
        plan = Plan(new_id("plan"), organization_id, family.id, code, name, rank, None, now)
        status = VersionStatus.CURRENT if data.publish else VersionStatus.DRAFT
        version = PlanVersion(
            id=new_id("pver"),
            plan_id=plan.id,
            number=1,
            status=status,
            name=name,
            terms=terms,
            channels=channels,
            created_at=now,
            published_at=now if data.publish else None,
        )
        uow.plans.add(plan)
        uow.plan_versions.add(version)
        uow.commit()
    return PlanView(plan, family, [version])


def _rank(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RANK:
        raise InvalidValue(f"rank is a whole number from 0 to {MAX_RANK}", field="rank")
    return value


def get_plan(uow: UnitOfWork, organization_id: str, plan_id: str) -> PlanView:
    """From the price book (no read when this process holds the current revision); only the
    plan's version moves are read."""
    with uow:
        book = uow.price_books.current(organization_id)
        plan = book.plans.get(plan_id)
        if plan is None:
            raise NotFound(f"no plan {plan_id!r}", field="plan_id")
        versions = [v for v in book.versions.values() if v.plan_id == plan.id]
        versions.sort(key=lambda v: v.number)
        moves = list(uow.plan_versions.moves(plan.id))
    return PlanView(plan, book.families[plan.family_id], versions, moves)


def list_plans(uow: UnitOfWork, organization_id: str) -> list[PlanView]:
    """Every plan with its versions, oldest first, from the price book (no read but the
    catalog revision when this process holds it)."""
    with uow:
        book = uow.price_books.current(organization_id)
    by_plan: dict[str, list[PlanVersion]] = {}
    for version in book.versions.values():
        by_plan.setdefault(version.plan_id, []).append(version)
    for versions in by_plan.values():
        versions.sort(key=lambda v: v.number)
    return [
        PlanView(p, book.families[p.family_id], by_plan.get(p.id, [])) for p in book.plans.values()
    ]


def _plan(uow: UnitOfWork, organization_id: str, plan_id: str) -> Plan:
    plan = uow.plans.get(organization_id, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id!r}", field="plan_id")
    return plan


def _view(uow: UnitOfWork, plan: Plan) -> PlanView:
    family = uow.families.get(plan.organization_id, plan.family_id)
    assert family is not None  # a foreign key guarantees it
    return PlanView(
        plan,
        family,
        list(uow.plan_versions.for_plan(plan.id)),
        list(uow.plan_versions.moves(plan.id)),
    )


def update_plan(
    uow: UnitOfWork,
    organization_id: str,
    plan_id: str,
    *,
    name: str | None = None,
    rank: int | None = None,
) -> PlanView:
    """Rename or re-rank a plan; neither is part of a version's terms."""
    checks = Checks()
    new_name = checks.run(require_text, name, "name") if name is not None else None
    new_rank = checks.run(_rank, rank) if rank is not None else None
    checks.raise_if_any()
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        plan = replace(
            plan, name=new_name or plan.name, rank=plan.rank if new_rank is None else new_rank
        )
        uow.plans.update(plan)
        uow.commit()
        return _view(uow, plan)


def edit_plan(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    plan_id: str,
    *,
    terms: Mapping[str, Any] | None = None,
    name: str | None = None,
    channels: Sequence[str] | None = None,
) -> PlanVersion:
    """Change the plan's draft, making one from the newest version first if there is none.

    `terms` replaces only the fields it names (e.g. {"base_prices": {"USD": 1200}}).
    """
    checks = Checks()
    new_name = checks.run(require_text, name, "name") if name is not None else None
    new_channels = checks.run(channels_of, channels) if channels is not None else None
    checks.raise_if_any()
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        _require_active(plan)
        versions = list(uow.plan_versions.for_plan(plan.id))
        draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
        if draft is None:
            newest = versions[-1]
            current = next((v for v in versions if v.status is VersionStatus.CURRENT), newest)
            draft = replace(
                newest,
                id=new_id("pver"),
                number=newest.number + 1,
                status=VersionStatus.DRAFT,
                created_at=clock.now(),
                published_at=None,
                name=current.name,  # customers know the plan by its current version's name
            )
            uow.plan_versions.add(draft)
        merged = {**terms_to_data(draft.terms), **(terms or {})}
        new_terms = terms_from_data(merged, "terms")
        if terms is not None and "charges" in terms:
            meters = Checks()
            check_meters(uow, organization_id, new_terms, "terms.", meters)
            meters.raise_if_any()
        draft = replace(
            draft,
            terms=new_terms,
            name=new_name or draft.name,
            channels=draft.channels if new_channels is None else new_channels,
        )
        uow.plan_versions.update(draft)
        uow.commit()
    return draft


def _require_active(plan: Plan) -> None:
    if plan.archived_at is not None:
        raise Conflict(f"plan {plan.code!r} is archived", field="plan_id", code=ec.PLAN_ARCHIVED)


def set_visibility(
    uow: UnitOfWork, organization_id: str, plan_id: str, version_id: str, channels: Sequence[str]
) -> PlanVersion:
    """Where a version is offered. Not part of the immutable terms: legacy versions can hide."""
    new_channels = channels_of(channels)
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        version = next((v for v in uow.plan_versions.for_plan(plan.id) if v.id == version_id), None)
        if version is None:
            raise NotFound(f"no version {version_id!r} of this plan", field="version_id")
        version = replace(version, channels=new_channels)
        uow.plan_versions.update(version)
        uow.commit()
    return version


def copy_plan(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    plan_id: str,
    *,
    code: str | None = None,
    name: str | None = None,
) -> PlanView:
    """Seed 003's Copy: a new plan "Copy of <name>" whose draft has the newest version's terms."""
    now = clock.now()
    with uow:
        source = _plan(uow, organization_id, plan_id)
        newest = list(uow.plan_versions.for_plan(source.id))[-1]
        new_code = check_code(code) if code else _free_code(uow, organization_id, source.code)
        if uow.plans.by_code(organization_id, new_code) is not None:
            raise Conflict(
                f"a plan {new_code!r} exists already", field="code", code=ec.DUPLICATE_CODE
            )
        new_name = require_text(name, "name") if name else f"Copy of {source.name}"
        plan = Plan(
            new_id("plan"),
            organization_id,
            source.family_id,
            new_code,
            new_name,
            source.rank,
            None,
            now,
        )
        draft = PlanVersion(
            id=new_id("pver"),
            plan_id=plan.id,
            number=1,
            status=VersionStatus.DRAFT,
            name=new_name,
            terms=newest.terms,
            channels=newest.channels,
            created_at=now,
        )
        uow.plans.add(plan)
        uow.plan_versions.add(draft)
        uow.commit()
        return _view(uow, plan)


def _free_code(uow: UnitOfWork, organization_id: str, code: str) -> str:
    for n in range(1, 1000):
        candidate = f"{code}-copy" if n == 1 else f"{code}-copy-{n}"
        if uow.plans.by_code(organization_id, candidate[:63]) is None:
            return candidate[:63]
    raise Conflict("too many copies of this plan; give the copy a code", field="code")


def archive_plan(
    uow: UnitOfWork, clock: Clock, organization_id: str, plan_id: str, expect: str | None = None
) -> PlanView:
    """No new sign-ups; existing subscribers keep their version. ``expect``: what the
    confirmation showed (``plan_shown``), refused (409) when the plan is no longer so."""
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        if expect is not None:
            check_shown(plan, list(uow.plan_versions.for_plan(plan.id)), expect)
        if plan.archived_at is None:
            plan = replace(plan, archived_at=clock.now())
            uow.plans.update(plan)
            uow.commit()
        return _view(uow, plan)


def discard_draft(
    uow: UnitOfWork, organization_id: str, plan_id: str, expect: str | None = None
) -> PlanView:
    """Throw the plan's draft away: customers never saw it, so nothing else changes.
    ``expect``: what the confirmation showed (``plan_shown``), refused (409) otherwise.

    Refused (409) when there is no draft, and when the draft is the plan's only version (a
    plan that was never published: archive it instead).
    """
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        _require_active(plan)
        versions = list(uow.plan_versions.for_plan(plan.id))
        draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
        if draft is None:
            raise Conflict(
                f"plan {plan.code!r} has no draft to discard", field="plan_id", code=ec.NO_DRAFT
            )
        if len(versions) == 1:
            raise Conflict(
                f"version {draft.number} is the only version of plan {plan.code!r}, never "
                "published: archive the plan instead",
                field="plan_id",
            )
        check_shown(plan, versions, expect)  # after the refusals that say more
        uow.plan_versions.remove_draft(draft.id)
        uow.commit()
        return _view(uow, plan)


def change_version(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    plan_id: str,
    version_id: str,
    *,
    terms: Mapping[str, Any] | None = None,
    name: str | None = None,
    channels: Sequence[str] | None = None,
) -> PlanVersion:
    """Change one version: anything while it is a draft; only where it is offered afterwards.

    Asking to change a published version's terms or name is refused with a 409 that says to
    edit the plan instead, which makes a new draft.
    """
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        version = next((v for v in uow.plan_versions.for_plan(plan.id) if v.id == version_id), None)
    if version is None:
        raise NotFound(f"no version {version_id!r} of this plan", field="version_id")
    if version.status is VersionStatus.DRAFT:
        return edit_plan(
            uow, clock, organization_id, plan_id, terms=terms, name=name, channels=channels
        )
    if terms is not None or name is not None:
        raise PublishedVersionImmutable(version)
    if channels is None:
        return version
    return set_visibility(uow, organization_id, plan_id, version_id, channels)
