"""Discarding a plan's draft on the fakes: the draft goes, nothing else changes; refused with a
clear error (and nothing changed) without a draft, for a never-published plan's only version,
and for an archived plan."""

from __future__ import annotations

import pytest

from plansmith.application.catalog import plan_families as pf
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog import publishing
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.domain.catalog.plans import VersionStatus
from plansmith.domain.kernel import error_codes as ec
from tests.unit.fake_world import ORG, World, flat_terms


@pytest.fixture
def world() -> World:
    world = World()
    pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Service"))
    return world


def _published(world: World) -> cat.PlanView:
    data = cat.PlanInput("basic", "Basic", "service", terms=flat_terms(3100), publish=True)
    return cat.create_plan(world.uow(), world.clock, ORG, data)


def test_discarding_the_draft_leaves_the_plan_as_it_was_before_the_draft(world: World) -> None:
    plan = _published(world)
    before = world.store.snapshot()
    cat.edit_plan(world.uow(), world.clock, ORG, plan.plan.id, terms={"description": "New"})

    view = cat.discard_draft(world.uow(), ORG, plan.plan.id)

    assert [(v.number, v.status) for v in view.versions] == [(1, VersionStatus.CURRENT)]
    assert view.draft is None
    assert world.store.snapshot() == before
    again = cat.edit_plan(world.uow(), world.clock, ORG, plan.plan.id, name="Basic 2")
    assert (again.number, again.status) == (2, VersionStatus.DRAFT)  # a new draft: number 2


def test_without_a_draft_discarding_is_refused_and_changes_nothing(world: World) -> None:
    plan = _published(world)
    before = world.snapshot()

    with pytest.raises(Conflict) as refused:
        cat.discard_draft(world.uow(), ORG, plan.plan.id)

    assert refused.value.code == ec.NO_DRAFT and refused.value.field == "plan_id"
    assert refused.value.message == "plan 'basic' has no draft to discard"
    assert world.snapshot() == before


def test_the_only_version_of_a_never_published_plan_is_not_discarded(world: World) -> None:
    data = cat.PlanInput("basic", "Basic", "service", terms=flat_terms(3100))
    plan = cat.create_plan(world.uow(), world.clock, ORG, data)
    before = world.snapshot()

    with pytest.raises(Conflict) as refused:
        cat.discard_draft(world.uow(), ORG, plan.plan.id)

    assert "archive the plan instead" in refused.value.message
    assert world.snapshot() == before


def test_an_archived_plans_draft_and_another_organizations_plan_are_refused(
    world: World,
) -> None:
    plan = _published(world)
    cat.edit_plan(world.uow(), world.clock, ORG, plan.plan.id, name="Basic 2")
    cat.archive_plan(world.uow(), world.clock, ORG, plan.plan.id)
    before = world.snapshot()

    with pytest.raises(Conflict) as archived:
        cat.discard_draft(world.uow(), ORG, plan.plan.id)
    with pytest.raises(NotFound):
        cat.discard_draft(world.uow(), "org_other", plan.plan.id)

    assert archived.value.code == ec.PLAN_ARCHIVED
    assert world.snapshot() == before


def test_a_published_version_is_never_deleted(world: World) -> None:
    plan = _published(world)
    cat.edit_plan(world.uow(), world.clock, ORG, plan.plan.id, name="Basic 2")
    publishing.publish_plan(world.uow(), world.clock, ORG, plan.plan.id, "never")

    with pytest.raises(Conflict):
        cat.discard_draft(world.uow(), ORG, plan.plan.id)

    view = cat.get_plan(world.uow(), ORG, plan.plan.id)
    assert [v.status for v in view.versions] == [VersionStatus.LEGACY, VersionStatus.CURRENT]
