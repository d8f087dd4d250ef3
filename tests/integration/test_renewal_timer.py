"""`plansmith serve` runs the renewal step on a timer: one round renews what is due, once."""

from __future__ import annotations

from datetime import UTC, datetime

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.subscriptions.queries import get_subscription, subscription_items
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.cli.renewals import RenewalTimer
from tests.conftest import Tenant, make_tenant


def _trial(container: Plansmith, tenant: Tenant) -> str:
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    families.create_family(uow(), clock, org, families.FamilyInput("service", "Service"))
    terms = {"base_prices": {"USD": 1500}, "trial_days": 7}
    cat.create_plan(uow(), clock, org, cat.PlanInput("pro", "Pro", "service", 1, terms, [], True))
    account = open_account(uow(), clock, org, AccountInput("Trier", "t@example.com", "USD"))
    return subscribe(uow(), clock, org, SubscribeInput(account.id, "pro")).view.subscription.id


def test_one_round_converts_due_trials_of_every_organization_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    other = make_tenant(container, "Second Operator")
    subs = [(t.organization_id, _trial(container, t)) for t in (tenant, other)]
    clock.set(datetime(2026, 2, 7, 0, 0, tzinfo=UTC))  # trials from Jan 31 end on Feb 7
    timer = RenewalTimer(container, every_seconds=3600)

    timer.run_once()
    timer.run_once()

    for org, sub_id in subs:
        assert get_subscription(container.uow(), org, sub_id).subscription.status == "active"
        items = subscription_items(container.uow(), org, sub_id)
        # converted once: one month of Pro in advance, USD 15.00, from the trial's end
        assert [(s.item.amount, s.item.period_start.isoformat()) for s in items] == [
            (1500, "2026-02-07")
        ]


def test_the_timer_thread_starts_and_stops(container: Plansmith) -> None:
    timer = RenewalTimer(container, every_seconds=3600)

    timer.start()
    timer.stop()

    assert not timer._thread.is_alive()
