"""Subscription use cases on the fakes. The catalog (see fake_world): Basic 3,100 and Pro
6,200 USD a month, so a January day is worth 100 and 200; downgrades wait for term end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions import actions as act
from plansmith.application.subscriptions import subscribing as subs
from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.subscriptions.subscription import BillableItem, InvalidTransition, Status
from tests.unit.fake_world import ORG, World

JAN_1, JAN_16, FEB_1 = date(2026, 1, 1), date(2026, 1, 16), date(2026, 2, 1)


@pytest.fixture
def world() -> World:
    w = World()
    w.seed_catalog({"downgrade": "term_end"})
    return w


def _subscribe(world: World, plan: str = "basic") -> tuple[str, str]:
    account = world.open_account()
    result = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, plan))
    return account, result.view.subscription.id


def _items(items: tuple[BillableItem, ...]) -> list[tuple[LineKind, int, date, date]]:
    return [(i.kind, i.amount, i.period_start, i.period_end) for i in items]


def _stored_kinds(world: World, sub_id: str) -> list[str]:
    with world.uow() as uow:
        return [e.event.kind for e in uow.subscriptions.events(sub_id)]


def test_subscribing_starts_a_month_today_and_leaves_its_charge_pending(world: World) -> None:
    account = world.open_account()

    result = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))

    sub = result.view.subscription
    assert (sub.status, sub.period_start, sub.period_end, sub.revision) == (
        Status.ACTIVE,
        JAN_1,
        FEB_1,
        0,
    )
    assert _items(result.items) == [(LineKind.RECURRING, 3100, JAN_1, FEB_1)]
    assert [e.kind for e in result.events] == ["subscribed"]
    assert world.store.rows.subscriptions[sub.id] == sub
    with world.uow() as uow:
        pending = uow.subscriptions.items(sub.id, pending_only=True)
        assert [(s.item.amount, s.invoice_id) for s in pending] == [(3100, None)]
        assert [span.start for span in uow.subscriptions.log(sub.id)] == [JAN_1]
    assert _stored_kinds(world, sub.id) == ["subscribed"]


def test_a_second_plan_of_the_same_family_changes_nothing(world: World) -> None:
    account, _ = _subscribe(world)
    before = world.snapshot()

    with pytest.raises(Conflict) as refused:
        subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "pro"))

    assert (refused.value.code, refused.value.field) == (ec.ALREADY_SUBSCRIBED, "plan")
    assert world.snapshot() == before


def test_an_upgrade_now_credits_the_old_plans_days_and_charges_the_new_ones(world: World) -> None:
    _, sub_id = _subscribe(world)
    world.clock.advance(timedelta(days=15))  # 16 January: 16 days of 31 left

    result = act.change_subscription(world.uow(), world.clock, ORG, sub_id, act.ChangeInput("pro"))

    assert _items(result.items) == [
        (LineKind.CREDIT, -1600, JAN_16, FEB_1),
        (LineKind.CHARGE, 3200, JAN_16, FEB_1),
    ]
    assert [(i.days, i.period_days) for i in result.items] == [(16, 31), (16, 31)]
    assert [e.kind for e in result.events] == ["changed"]
    stored = world.store.rows.subscriptions[sub_id]
    assert (stored.terms.plan_id, stored.revision) == (result.view.plan.id, 1)
    assert result.view.plan.code == "pro"
    assert _stored_kinds(world, sub_id) == ["subscribed", "changed"]


def test_the_preview_of_a_change_equals_the_change_and_stores_nothing(world: World) -> None:
    _, sub_id = _subscribe(world)
    world.clock.advance(timedelta(days=15))
    before = world.snapshot()

    preview = act.change_subscription(
        world.uow(), world.clock, ORG, sub_id, act.ChangeInput("pro"), preview=True
    )
    assert world.snapshot() == before
    real = act.change_subscription(world.uow(), world.clock, ORG, sub_id, act.ChangeInput("pro"))

    assert (preview.applied, real.applied) == (False, True)
    assert preview.items == real.items
    assert preview.events == real.events
    assert preview.next_invoice == real.next_invoice
    assert preview.view.subscription.terms == real.view.subscription.terms


def test_a_downgrade_waits_for_term_end_and_bills_nothing_now(world: World) -> None:
    _, sub_id = _subscribe(world, "pro")
    world.clock.advance(timedelta(days=15))

    result = act.change_subscription(
        world.uow(), world.clock, ORG, sub_id, act.ChangeInput("basic")
    )

    sub = result.view.subscription
    assert result.items == ()
    assert [e.kind for e in result.events] == ["change_scheduled"]
    assert sub.scheduled is not None
    assert (sub.scheduled.effective, sub.scheduled.summary) == (FEB_1, "downgrade")
    assert sub.terms.plan_id == world.store.rows.subscriptions[sub_id].terms.plan_id
    assert result.view.plan.code == "pro"  # still held until 1 February
    assert world.store.rows.subscriptions[sub_id].scheduled == sub.scheduled


def test_a_change_from_a_stale_read_is_refused_and_changes_nothing(world: World) -> None:
    _, sub_id = _subscribe(world)
    stale = world.store.rows.subscriptions[sub_id]
    act.change_subscription(world.uow(), world.clock, ORG, sub_id, act.ChangeInput("pro"))
    before = world.snapshot()

    with world.uow() as uow, pytest.raises(Conflict) as refused:
        uow.subscriptions.update(stale, expected_revision=stale.revision)

    assert refused.value.code == ec.CONCURRENT_CHANGE
    assert world.snapshot() == before


def test_cancel_at_term_end_then_reactivate_withdraws_it(world: World) -> None:
    _, sub_id = _subscribe(world)
    world.clock.advance(timedelta(days=15))

    canceled = act.cancel_subscription(world.uow(), world.clock, ORG, sub_id)
    assert (canceled.view.subscription.status, canceled.view.subscription.cancel_at_period_end) == (
        Status.ACTIVE,
        True,
    )
    assert (canceled.items, [e.kind for e in canceled.events]) == ((), ["cancel_scheduled"])

    back = act.reactivate_subscription(world.uow(), world.clock, ORG, sub_id)
    assert (back.view.subscription.status, back.view.subscription.cancel_at_period_end) == (
        Status.ACTIVE,
        False,
    )
    assert [e.kind for e in back.events] == ["cancel_withdrawn"]
    assert _stored_kinds(world, sub_id) == ["subscribed", "cancel_scheduled", "cancel_withdrawn"]
    assert world.store.rows.subscriptions[sub_id].revision == 2


def test_cancel_now_credits_the_rest_of_the_period(world: World) -> None:
    _, sub_id = _subscribe(world)
    world.clock.advance(timedelta(days=15))

    result = act.cancel_subscription(world.uow(), world.clock, ORG, sub_id, "now")

    sub = result.view.subscription
    assert sub.status is Status.CANCELED
    assert _items(result.items) == [(LineKind.CREDIT, -1600, JAN_16, FEB_1)]
    assert world.store.rows.subscriptions[sub_id].status is Status.CANCELED


def test_an_unknown_cancel_timing_changes_nothing(world: World) -> None:
    _, sub_id = _subscribe(world)
    before = world.snapshot()

    with pytest.raises(InvalidValue) as refused:
        act.cancel_subscription(world.uow(), world.clock, ORG, sub_id, "tomorrow")

    assert refused.value.field == "when"
    assert world.snapshot() == before


def test_pause_credits_the_rest_and_resume_charges_what_is_left(world: World) -> None:
    _, sub_id = _subscribe(world)
    world.clock.advance(timedelta(days=15))

    paused = act.pause_subscription(world.uow(), world.clock, ORG, sub_id)
    assert paused.view.subscription.status is Status.PAUSED
    assert _items(paused.items) == [(LineKind.CREDIT, -1600, JAN_16, FEB_1)]

    world.clock.advance(timedelta(days=3))  # 19 January: 13 days left
    resumed = act.resume_subscription(world.uow(), world.clock, ORG, sub_id)
    assert resumed.view.subscription.status is Status.ACTIVE
    assert _items(resumed.items) == [(LineKind.CHARGE, 1300, date(2026, 1, 19), FEB_1)]
    assert _stored_kinds(world, sub_id) == ["subscribed", "paused", "resumed"]


def test_pausing_a_paused_subscription_changes_nothing(world: World) -> None:
    _, sub_id = _subscribe(world)
    act.pause_subscription(world.uow(), world.clock, ORG, sub_id)
    before = world.snapshot()

    with pytest.raises(InvalidTransition) as refused:
        act.pause_subscription(world.uow(), world.clock, ORG, sub_id)

    assert (refused.value.code, refused.value.field) == (ec.INVALID_TRANSITION, "status")
    assert world.snapshot() == before


def test_a_canceled_subscription_is_reactivated_today(world: World) -> None:
    _, sub_id = _subscribe(world)
    world.clock.advance(timedelta(days=15))
    act.cancel_subscription(world.uow(), world.clock, ORG, sub_id, "now")

    back = act.reactivate_subscription(world.uow(), world.clock, ORG, sub_id)

    sub = back.view.subscription
    assert sub.status is Status.ACTIVE
    assert [e.kind for e in back.events] == ["reactivated"]
    assert world.store.rows.subscriptions[sub_id].status is Status.ACTIVE
