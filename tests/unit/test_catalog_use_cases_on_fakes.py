"""Catalog use cases on the fakes: families, plans, drafts, publishing and archiving."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from plansmith.application.catalog import plan_families as pf
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog import publishing
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.subscriptions import subscribing as subs
from plansmith.domain.catalog.plans import ChangePolicy, Channel, Timing, VersionStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from tests.fakes import Refused
from tests.unit.fake_world import ORG, T0, World, flat_terms


@pytest.fixture
def world() -> World:
    return World()


def _plan(world: World, code: str = "basic", *, publish: bool = False) -> cat.PlanView:
    data = cat.PlanInput(code, code.title(), "service", terms=flat_terms(3100), publish=publish)
    return cat.create_plan(world.uow(), world.clock, ORG, data)


def test_a_family_is_stored_with_its_policy_at_the_clock_instant(world: World) -> None:
    family = pf.create_family(
        world.uow(),
        world.clock,
        ORG,
        pf.FamilyInput("service", "Service plans", {"downgrade": "term_end"}),
    )

    assert family.created_at == T0
    assert family.policy == ChangePolicy(downgrade=Timing.TERM_END)
    assert world.store.rows.families == {family.id: family}
    assert pf.list_families(world.uow(), ORG) == [family]
    assert pf.list_families(world.uow(), "org_other") == []


def test_a_second_family_with_the_same_code_changes_nothing(world: World) -> None:
    pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Service"))
    before = world.snapshot()

    with pytest.raises(Conflict) as refused:
        pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Again"))

    assert refused.value.code == ec.DUPLICATE_CODE
    assert world.snapshot() == before


def test_a_new_plan_is_a_draft_version_1_until_published(world: World) -> None:
    pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Service"))

    view = _plan(world)

    (version,) = view.versions
    assert (version.number, version.status, version.published_at) == (1, VersionStatus.DRAFT, None)
    assert version.channels == frozenset({Channel.INTERNAL})
    assert [(p.currency, p.cycle.name, p.amount) for p in version.terms.prices] == [
        ("USD", "month", 3100)
    ]
    assert world.store.rows.plans == {view.plan.id: view.plan}
    assert world.store.rows.plan_versions == {version.id: version}


def test_a_plan_of_an_unknown_family_or_a_taken_code_changes_nothing(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(NotFound) as missing:
        _plan(world)
    assert missing.value.field == "family"
    assert world.snapshot() == before

    pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Service"))
    _plan(world)
    before = world.snapshot()
    with pytest.raises(Conflict) as taken:
        _plan(world)
    assert (taken.value.code, taken.value.field) == (ec.DUPLICATE_CODE, "code")
    assert world.snapshot() == before


def test_invalid_terms_are_refused_with_their_paths_and_nothing_is_stored(world: World) -> None:
    pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Service"))
    before = world.snapshot()
    bad = cat.PlanInput("basic", "Basic", "service", terms={"pricing": "by_weight"})

    with pytest.raises(InvalidInput) as refused:
        cat.create_plan(world.uow(), world.clock, ORG, bad)

    assert [e.field for e in refused.value.errors] == ["terms.pricing", "terms.prices"]
    assert world.snapshot() == before


def test_publishing_the_first_draft_makes_it_current(world: World) -> None:
    pf.create_family(world.uow(), world.clock, ORG, pf.FamilyInput("service", "Service"))
    view = _plan(world)
    world.clock.advance(timedelta(hours=2))

    published = publishing.publish_plan(world.uow(), world.clock, ORG, view.plan.id, "never")

    assert published.version.status is VersionStatus.CURRENT
    assert published.version.published_at == T0 + timedelta(hours=2)
    assert (published.superseded, published.move, published.notified) == ([], None, 0)
    assert world.store.rows.plan_versions[published.version.id] == published.version


def test_editing_a_published_plan_drafts_version_2_and_publishing_it_keeps_v1_as_legacy(
    world: World,
) -> None:
    world.seed_catalog()
    basic = cat.list_plans(world.uow(), ORG)[0]
    (v1,) = basic.versions

    draft = cat.edit_plan(
        world.uow(), world.clock, ORG, basic.plan.id, terms={"trial_days": 14}, name="Basic 2"
    )
    assert (draft.number, draft.status, draft.terms.trial_days) == (2, VersionStatus.DRAFT, 14)
    assert draft.terms.prices == v1.terms.prices  # only the named field changed
    assert world.store.rows.plan_versions[v1.id] == v1

    published = publishing.publish_plan(world.uow(), world.clock, ORG, basic.plan.id, "never")

    (legacy,) = published.superseded
    assert (legacy.id, legacy.status, legacy.name) == (v1.id, VersionStatus.LEGACY, "Basic Legacy")
    assert legacy.channels == frozenset({Channel.INTERNAL})
    assert legacy.terms == v1.terms
    assert (published.version.id, published.version.status) == (draft.id, VersionStatus.CURRENT)
    statuses = {
        v.number: v.status
        for v in world.store.rows.plan_versions.values()
        if v.plan_id == basic.plan.id
    }
    assert statuses == {1: VersionStatus.LEGACY, 2: VersionStatus.CURRENT}


def test_publishing_without_a_draft_changes_nothing(world: World) -> None:
    world.seed_catalog()
    basic = cat.list_plans(world.uow(), ORG)[0]
    before = world.snapshot()

    with pytest.raises(Conflict) as refused:
        publishing.publish_plan(world.uow(), world.clock, ORG, basic.plan.id, "now")

    assert refused.value.code == ec.NO_DRAFT
    assert world.snapshot() == before


def test_an_unknown_apply_to_existing_changes_nothing(world: World) -> None:
    world.seed_catalog()
    basic = cat.list_plans(world.uow(), ORG)[0]
    cat.edit_plan(world.uow(), world.clock, ORG, basic.plan.id, terms={"trial_days": 7})
    before = world.snapshot()

    with pytest.raises(InvalidValue) as refused:
        publishing.publish_plan(world.uow(), world.clock, ORG, basic.plan.id, "sometimes")

    assert refused.value.field == "apply_to_existing"
    assert world.snapshot() == before


def test_an_archived_plan_takes_no_edits_and_no_new_subscribers(world: World) -> None:
    world.seed_catalog()
    basic = cat.list_plans(world.uow(), ORG)[0]
    account = world.open_account()
    world.clock.advance(timedelta(days=1))

    archived = cat.archive_plan(world.uow(), world.clock, ORG, basic.plan.id)

    assert archived.plan.archived_at == T0 + timedelta(days=1)
    assert world.store.rows.plans[basic.plan.id].archived_at == T0 + timedelta(days=1)
    before = world.snapshot()
    with pytest.raises(Conflict) as edit:
        cat.edit_plan(world.uow(), world.clock, ORG, basic.plan.id, terms={"trial_days": 3})
    assert edit.value.code == ec.PLAN_ARCHIVED
    with pytest.raises(Conflict) as subscribe:
        subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))
    assert subscribe.value.code == ec.PLAN_ARCHIVED
    assert world.snapshot() == before


def test_archiving_twice_keeps_the_first_instant(world: World) -> None:
    world.seed_catalog()
    basic = cat.list_plans(world.uow(), ORG)[0]
    cat.archive_plan(world.uow(), world.clock, ORG, basic.plan.id)
    world.clock.advance(timedelta(days=5))

    again = cat.archive_plan(world.uow(), world.clock, ORG, basic.plan.id)

    assert again.plan.archived_at == T0


def test_the_fake_refuses_to_change_a_published_versions_terms_as_the_database_does(
    world: World,
) -> None:
    world.seed_catalog()
    (v1,) = cat.list_plans(world.uow(), ORG)[0].versions
    changed = replace(v1, terms=replace(v1.terms, trial_days=30))

    with world.uow() as uow, pytest.raises(Refused):
        uow.plan_versions.update(changed)
