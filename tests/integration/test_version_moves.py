"""Seed 003's "apply to existing customers?" carried out on real subscriptions, both databases.

never: subscribers keep their (now legacy) version; now: each is told and moves at once with a
credit and a charge for the rest of the period; at_renewal: each is told and moves at its own
renewal, billed at the new price from then on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog import publishing
from plansmith.application.subscriptions.actions import advance_due, pause_subscription
from plansmith.application.subscriptions.queries import (
    get_subscription,
    subscriber_counts,
    subscription_events,
    subscription_items,
    subscription_notices,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

# START is 2026-01-31 15:00 UTC: accounts in UTC start on Jan 31; periods [Jan 31, Feb 28), ...
TERMS = {"base_prices": {"USD": 1000}, "cycle_discounts": {"year": "10"}}


def _setup(container: Plansmith, tenant: Tenant) -> tuple[str, list[str]]:
    """A published Bronze at USD 10.00 a month, two subscribers (1 and 3 seats)."""
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    families.create_family(uow(), clock, org, families.FamilyInput("service", "Service plans"))
    plan = cat.create_plan(
        uow(), clock, org, cat.PlanInput("bronze", "Bronze", "service", 1, TERMS, ["portal"], True)
    )
    subs = []
    for n, seats in enumerate((1, 3)):
        account = open_account(
            uow(), clock, org, AccountInput(f"Customer {n}", f"c{n}@example.com", "USD")
        )
        result = subscribe(uow(), clock, org, SubscribeInput(account.id, "bronze", "month", seats))
        subs.append(result.view.subscription.id)
    return plan.plan.id, subs


def _new_price(
    container: Plansmith, tenant: Tenant, plan_id: str, apply: str
) -> publishing.Published:
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    cat.edit_plan(uow(), clock, org, plan_id, terms={"base_prices": {"USD": 1200}})
    return publishing.publish_plan(uow(), clock, org, plan_id, apply)


def _items(container: Plansmith, tenant: Tenant, sub_id: str) -> list[tuple[str, int, str]]:
    stored = subscription_items(container.uow(), tenant.organization_id, sub_id)
    return [(s.item.kind.value, s.item.amount, s.item.period_start.isoformat()) for s in stored]


def test_never_keeps_every_subscriber_on_the_old_version(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    plan_id, subs = _setup(container, tenant)
    org = tenant.organization_id
    before = {s: get_subscription(container.uow(), org, s).version.id for s in subs}

    published = _new_price(container, tenant, plan_id, "never")
    newcomer = open_account(
        container.uow(), clock, org, AccountInput("New", "n@example.com", "USD")
    )
    joined = subscribe(container.uow(), clock, org, SubscribeInput(newcomer.id, "bronze", "month"))
    clock.set(datetime(2026, 2, 28, 0, 0, tzinfo=UTC))  # the first renewal
    advance_due(container.uow(), clock, org)

    old_version = published.superseded[0]
    assert {s: get_subscription(container.uow(), org, s).version.id for s in subs} == before
    assert set(before.values()) == {old_version.id}
    assert old_version.name == "Bronze Legacy"
    assert joined.view.version.id == published.version.id
    assert subscriber_counts(container.uow(), org) == {old_version.id: 2, published.version.id: 1}
    assert [subscription_notices(container.uow(), org, s) for s in subs] == [[], []]
    # Renewed at the legacy price: 1 x 1000 and 3 x 1000.
    assert _items(container, tenant, subs[0])[-1] == ("recurring", 1000, "2026-02-28")
    assert _items(container, tenant, subs[1])[-1] == ("recurring", 3000, "2026-02-28")


def test_now_tells_each_subscriber_and_moves_them_at_once_with_proration(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    plan_id, subs = _setup(container, tenant)
    org = tenant.organization_id
    clock.set(datetime(2026, 2, 14, 9, 0, tzinfo=UTC))  # 14 of the 28 days of [Jan 31, Feb 28) left

    published = _new_price(container, tenant, plan_id, "now")

    for sub_id, seats in zip(subs, (1, 3), strict=True):
        assert get_subscription(container.uow(), org, sub_id).version.id == published.version.id
        # credit 1000 x seats x 14/28, charge 1200 x seats x 14/28
        assert _items(container, tenant, sub_id) == [
            ("recurring", 1000 * seats, "2026-01-31"),
            ("credit", -500 * seats, "2026-02-14"),
            ("charge", 600 * seats, "2026-02-14"),
        ]
        notices = subscription_notices(container.uow(), org, sub_id)
        assert published.move is not None
        assert [(n.move_id, n.effective_on) for n in notices] == [(published.move.id, "now")]
        assert notices[0].text == (
            "Your plan Bronze changes now:\n"
            "- price per seat per month: USD 10.00 -> USD 12.00\n"
            "- price per seat per year: USD 108.00 -> USD 129.60"
        )
        kinds = [
            (e.event.kind, e.event.details.get("cause"))
            for e in subscription_events(container.uow(), org, sub_id)
        ]
        assert kinds[-1] == ("changed", "version_move")


def test_at_renewal_tells_now_and_moves_each_subscriber_at_its_renewal(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    plan_id, subs = _setup(container, tenant)
    org = tenant.organization_id
    clock.set(datetime(2026, 2, 14, 9, 0, tzinfo=UTC))

    published = _new_price(container, tenant, plan_id, "at_renewal")
    old_version = published.superseded[0].id
    still_old = [get_subscription(container.uow(), org, s).version.id for s in subs]
    items_before = [_items(container, tenant, s) for s in subs]
    clock.set(datetime(2026, 2, 28, 0, 0, tzinfo=UTC))
    advance_due(container.uow(), clock, org)

    assert still_old == [old_version, old_version]
    assert items_before == [
        [("recurring", 1000, "2026-01-31")],
        [("recurring", 3000, "2026-01-31")],
    ]
    for sub_id, seats in zip(subs, (1, 3), strict=True):
        notices = subscription_notices(container.uow(), org, sub_id)
        assert [n.effective_on for n in notices] == ["2026-02-28"]
        assert get_subscription(container.uow(), org, sub_id).version.id == published.version.id
        assert _items(container, tenant, sub_id)[-1] == ("recurring", 1200 * seats, "2026-02-28")
        kinds = [e.event.kind for e in subscription_events(container.uow(), org, sub_id)]
        assert kinds[-2:] == ["version_moved", "renewed"]


def test_a_move_the_new_version_cannot_price_is_skipped_and_billing_goes_on(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, uow = tenant.organization_id, container.uow
    families.create_family(uow(), clock, org, families.FamilyInput("service", "Service plans"))
    plan = cat.create_plan(
        uow(), clock, org, cat.PlanInput("bronze", "Bronze", "service", 1, TERMS, ["portal"], True)
    )
    account = open_account(uow(), clock, org, AccountInput("Yearly", "y@example.com", "USD"))
    sub = subscribe(uow(), clock, org, SubscribeInput(account.id, "bronze", "year")).view
    # The new version drops the annual cycle this subscriber pays for.
    cat.edit_plan(uow(), clock, org, plan.plan.id, terms={"cycle_discounts": {}})
    published = publishing.publish_plan(uow(), clock, org, plan.plan.id, "at_renewal")
    clock.set(datetime(2027, 1, 31, 0, 0, tzinfo=UTC))

    advance_due(uow(), clock, org)

    after = get_subscription(uow(), org, sub.subscription.id)
    assert after.version.id == published.superseded[0].id
    events = subscription_events(uow(), org, sub.subscription.id)
    assert [e.event.kind for e in events][-2:] == ["version_move_skipped", "renewed"]
    assert "year" in events[-2].event.details["reason"]
    # 1000 x 12 x 0.9 = 10800, again for the second year
    assert _items(container, tenant, sub.subscription.id)[-1] == ("recurring", 10800, "2027-01-31")


def test_a_paused_subscriber_moves_now_without_any_item(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    plan_id, subs = _setup(container, tenant)
    org = tenant.organization_id
    clock.set(datetime(2026, 2, 7, 9, 0, tzinfo=UTC))
    pause_subscription(container.uow(), clock, org, subs[0])
    items_paused = _items(container, tenant, subs[0])

    published = _new_price(container, tenant, plan_id, "now")

    assert get_subscription(container.uow(), org, subs[0]).version.id == published.version.id
    assert _items(container, tenant, subs[0]) == items_paused
    # 1000 x 21/28 credited at the pause on Feb 7: 750
    assert items_paused == [("recurring", 1000, "2026-01-31"), ("credit", -750, "2026-02-07")]
