"""Findings of the review of the subscriptions change, each a bug shown and then fixed.

START (tests/conftest.py) is 2026-01-31 15:00 UTC; accounts here are in UTC, so a subscription
started then has periods [Jan 31, Feb 28), [Feb 28, Mar 31), ...
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, update

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog import publishing
from plansmith.application.catalog.extras import AddOnInput, list_add_ons, update_add_on
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.queries import get_subscription, subscription_items
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import Timing
from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.subscriptions import changes as rules
from plansmith.domain.subscriptions.subscription import Status
from tests.conftest import Tenant
from tests.unit.subscription_builders import (
    Driver,
    new_account,
    noon,
    prices_of,
    seed_catalog,
    terms,
)
from tests.unit.subscription_builders import price_book as domain_book

D = date


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _items(app: Plansmith, org: str, sub_id: str) -> list[tuple[str, int, date, date]]:
    return [
        (s.item.kind.value, s.item.amount, s.item.period_start, s.item.period_end)
        for s in subscription_items(app.uow(), org, sub_id)
    ]


def _chat_without_jpy_month(app: Plansmith, org: str) -> None:
    """The operator withdraws the add-on "chat"'s JPY monthly price (nobody holds chat now)."""
    chat = next(a for a in list_add_ons(app.uow(), org) if a.code == "chat")
    kept = [
        {"currency": p.currency, "cycle": p.cycle.name, "amount": p.amount}
        for p in prices_of("chat")
        if not (p.currency == "JPY" and p.cycle == Cycle.MONTHLY)
    ]
    update_add_on(app.uow(), org, chat.id, AddOnInput("chat", "Chat", kept, quantity_allowed=True))


def _catalog_written_outside(connection: Connection, org: str) -> None:
    """What any writer of the catalog tables must do: bump the revision, else every process
    keeps pricing with the copy it holds (see adapters/db/catalog/price_books.py)."""
    r = t.catalog_revisions.c
    connection.execute(
        update(t.catalog_revisions).where(r.organization_id == org).values(revision=r.revision + 1)
    )


def _sub(app: Plansmith, org: str, account: str, plan: str, quantity: int = 1) -> str:
    data = SubscribeInput(account, plan, quantity=quantity)
    return subscribe(app.uow(), app.clock, org, data).view.subscription.id


# -- 1. one subscription that cannot renew stops the renewal step for everyone --------------


def test_one_failing_renewal_does_not_stop_the_others(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org)
    clock.set(_at(D(2026, 1, 31)))
    account = new_account(container, org, "JPY", "UTC", "A")
    data = SubscribeInput(account, "basic", add_ons={"chat": 1})
    poisoned = subscribe(container.uow(), clock, org, data).view.subscription.id
    clock.set(_at(D(2026, 2, 1)))
    healthy = _sub(container, org, new_account(container, org, "JPY", "UTC", "B"), "basic")
    # A catalog gone wrong behind the use cases' back: chat loses the JPY monthly price A pays.
    with container.engine.begin() as connection:
        connection.execute(update(t.add_ons).where(t.add_ons.c.code == "chat").values(prices=[]))
        _catalog_written_outside(connection, org)
    poisoned_before = _items(container, org, poisoned)

    clock.set(_at(D(2026, 3, 2)))  # both are due: A on Feb 28, B on Mar 1
    done = actions.advance_due(container.uow(), clock, org)

    # B has nothing to do with A: its March renewal is there. A is reported and left as it was.
    assert _items(container, org, healthy)[-1] == ("recurring", 1490, D(2026, 3, 1), D(2026, 4, 1))
    assert [(f.subscription_id, f.code) for f in done.failed] == [(poisoned, "price_not_offered")]
    assert (done.renewed, done.skipped) == (1, 0)
    assert _items(container, org, poisoned) == poisoned_before


# -- 2. a price "in use" is only checked against the terms held now --------------------------


def test_an_add_on_price_a_scheduled_change_needs_cannot_be_withdrawn(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org)
    sub_id = _sub(container, org, new_account(container, org, "JPY", "UTC"), "basic")
    actions.change_subscription(
        container.uow(),
        clock,
        org,
        sub_id,
        actions.ChangeInput(add_ons={"chat": 1}, when="term_end"),
    )

    with pytest.raises(Conflict) as refused:
        _chat_without_jpy_month(container, org)
    assert refused.value.code == "price_in_use"


# -- 3. a version move "now" silently drops the customer's scheduled downgrade --------------


def _gold_and_silver(container: Plansmith, tenant: Tenant) -> str:
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    families.create_family(uow(), clock, org, families.FamilyInput("service", "Service plans"))
    for rank, (code, usd) in enumerate((("silver", 1000), ("gold", 3000))):
        cat.create_plan(
            uow(),
            clock,
            org,
            cat.PlanInput(
                code, code.title(), "service", rank, {"base_prices": {"USD": usd}}, ["portal"], True
            ),
        )
    return next(p.plan.id for p in cat.list_plans(uow(), org) if p.plan.code == "gold")


def test_a_version_move_now_keeps_the_customers_scheduled_downgrade(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    gold = _gold_and_silver(container, tenant)
    account = new_account(container, org, "USD", "UTC")
    sub_id = _sub(container, org, account, "gold")  # [Jan 31, Feb 28): 3000
    clock.set(_at(D(2026, 2, 10)))
    scheduled = actions.change_subscription(
        container.uow(), clock, org, sub_id, actions.ChangeInput(plan="silver")
    )
    assert scheduled.events[-1].kind == "change_scheduled"  # a downgrade waits (default policy)

    cat.edit_plan(container.uow(), clock, org, gold, terms={"base_prices": {"USD": 3300}})
    publishing.publish_plan(container.uow(), clock, org, gold, "now")
    clock.set(_at(D(2026, 2, 28)))
    actions.advance_due(container.uow(), clock, org)

    view = get_subscription(container.uow(), org, sub_id)
    assert view.plan.code == "silver"  # what the customer asked for on Feb 10
    assert _items(container, org, sub_id)[-1] == ("recurring", 1000, D(2026, 2, 28), D(2026, 3, 31))


# -- 4. a paused subscriber moved "now" to a pay-per-day version is billed twice ------------


def test_a_paused_subscriber_moved_to_a_pay_per_day_version_pays_each_day_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    gold = _gold_and_silver(container, tenant)
    sub_id = _sub(container, org, new_account(container, org, "USD", "UTC"), "gold")
    clock.set(_at(D(2026, 2, 10)))
    actions.pause_subscription(container.uow(), clock, org, sub_id)  # credit 18/28 of 3000
    cat.edit_plan(container.uow(), clock, org, gold, terms={"pay_per_day": True})
    publishing.publish_plan(container.uow(), clock, org, gold, "now")
    clock.set(_at(D(2026, 2, 14)))
    actions.resume_subscription(container.uow(), clock, org, sub_id)
    clock.set(_at(D(2026, 2, 28)))
    actions.advance_due(container.uow(), clock, org)

    after_pause = _items(container, org, sub_id)[2:]
    # Feb 14..27 are 14 of 28 days, held once at the pay-per-day version: 3000 x 14/28 = 1500,
    # billed in arrears. Actual: a charge of 1500 on resume AND an accrual of 1500.
    assert after_pause == [("accrual", 1500, D(2026, 1, 31), D(2026, 2, 28))]


def test_a_paused_pay_per_day_subscriber_moved_to_an_in_advance_version_pays_its_days(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, uow = tenant.organization_id, container.uow
    families.create_family(uow(), clock, org, families.FamilyInput("service", "Service plans"))
    terms_data = {"base_prices": {"USD": 2800}, "pay_per_day": True}
    flex = cat.create_plan(
        uow(), clock, org, cat.PlanInput("flex", "Flex", "service", 0, terms_data, ["portal"], True)
    ).plan.id
    sub_id = _sub(container, org, new_account(container, org, "USD", "UTC"), "flex")
    clock.set(_at(D(2026, 2, 10)))
    actions.pause_subscription(uow(), clock, org, sub_id)
    cat.edit_plan(uow(), clock, org, flex, terms={"pay_per_day": False})
    publishing.publish_plan(uow(), clock, org, flex, "now")
    clock.set(_at(D(2026, 2, 14)))
    actions.resume_subscription(uow(), clock, org, sub_id)
    clock.set(_at(D(2026, 2, 28)))
    actions.advance_due(uow(), clock, org)

    items = _items(container, org, sub_id)
    # Jan 31..Feb 9 (10 days) pay-per-day: 2800 x 10/28 = 1000; Feb 14..27 in advance at the
    # new version: 2800 x 14/28 = 1400; then March in advance: 2800.
    assert sum(amount for _, amount, _, _ in items) == 1000 + 1400 + 2800


# -- 5. lesser: what a stopped pay-per-day subscription says it still owes -------------------


def test_an_expired_pay_per_day_trial_has_no_next_payment() -> None:
    book = domain_book(trial_days=14, pay_per_day=True)
    driver = Driver.start(book, terms("basic"), D(2026, 3, 1), trial=True)
    driver.cancel(D(2026, 3, 5), Timing.NOW)
    assert driver.sub.status is Status.EXPIRED
    assert driver.sub.due_on() is None
    assert driver.sub.next_payment_on() is None  # actual: 2026-03-15


def test_canceling_a_paused_pay_per_day_subscription_leaves_nothing_due() -> None:
    book = domain_book(pay_per_day=True)
    driver = Driver.start(book, terms("basic"), D(2028, 1, 31))
    driver.pause(D(2028, 2, 10))
    driver.advance(D(2028, 3, 1))  # bills Jan 31..Feb 9
    driver.cancel(D(2028, 4, 10), Timing.NOW)
    assert driver.sub.next_payment_on() is None  # actual: 2028-03-31
    driver.advance(D(2028, 7, 1))
    assert [e.kind for e in driver.events].count("period_closed") == 1  # actual: 3
    assert [i.kind for i in driver.items] == [LineKind.ACCRUAL]


def test_the_pure_rules_agree_on_a_cycle_change_for_pay_per_day() -> None:
    """Control (passes): accrual of the old period is billed at the cycle change, once."""
    book = domain_book(pay_per_day=True)
    driver = Driver.start(book, terms("basic"), D(2028, 1, 31))
    out = rules.change(
        driver.sub,
        terms("basic", cycle=Cycle.QUARTERLY),
        book,
        driver.log,
        D(2028, 2, 10),
        noon(D(2028, 2, 10), "UTC"),
    )
    driver.apply(out)
    driver.advance(D(2028, 5, 10))
    assert [(i.amount, i.days, i.period_days) for i in driver.items] == [
        (514, 10, 29),
        (4201, 90, 90),
    ]


def test_a_scheduled_change_the_catalog_can_no_longer_price_is_skipped_not_stuck(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org)
    clock.set(_at(D(2026, 1, 31)))
    sub_id = _sub(container, org, new_account(container, org, "JPY", "UTC"), "basic")
    actions.change_subscription(
        container.uow(),
        clock,
        org,
        sub_id,
        actions.ChangeInput(add_ons={"chat": 1}, when="term_end"),
    )
    with container.engine.begin() as connection:
        connection.execute(update(t.add_ons).where(t.add_ons.c.code == "chat").values(prices=[]))
        _catalog_written_outside(connection, org)
    clock.set(_at(D(2026, 3, 1)))

    done = actions.advance_due(container.uow(), clock, org)

    # Renewed on Feb 28 at the terms held (basic alone, 1490), the change reported as skipped.
    assert done.failed == ()
    assert _items(container, org, sub_id)[-1] == ("recurring", 1490, D(2026, 2, 28), D(2026, 3, 31))
    view = get_subscription(container.uow(), org, sub_id)
    assert view.subscription.scheduled is None
    assert view.subscription.terms.add_ons == {}


def test_pausing_with_a_cancellation_pending_is_refused_and_changes_nothing(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org)
    sub_id = _sub(container, org, new_account(container, org, "JPY", "UTC"), "basic")
    actions.cancel_subscription(container.uow(), clock, org, sub_id, "term_end")
    before = get_subscription(container.uow(), org, sub_id).subscription

    with pytest.raises(DomainError) as refused:
        actions.pause_subscription(container.uow(), clock, org, sub_id)

    assert (refused.value.code, refused.value.status) == ("cancel_scheduled", 409)
    assert get_subscription(container.uow(), org, sub_id).subscription == before
