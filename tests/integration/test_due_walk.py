"""The walk over due subscriptions (the billing run's, a page at a time) visits each due one
once, in (organization, due at, id) order, also when many are due at the same instant (a
cohort renewing at one local midnight), within one organization and over all of them."""

from __future__ import annotations

from datetime import date, datetime

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def _cohort(app: Plansmith, org: str, clock: TestClock, day: date, n: int) -> None:
    """``n`` monthly subscriptions from ``day``: all due one month later, at one instant."""
    clock.set(local_at(day, TZ, 9))
    for k in range(n):
        account = new_account(app, org, "USD", TZ, name=f"Customer {day} {k}")
        subscribe(app.uow(), clock, org, SubscribeInput(account, "seat"))


def _walk(app: Plansmith, org: str | None, as_of: datetime) -> list[tuple[str, str, datetime]]:
    seen: list[tuple[str, str, datetime]] = []
    after: tuple[str, datetime, str] | None = None
    while True:
        with app.uow() as uow:
            page = list(uow.subscriptions.due(org, as_of, 3, after))
        if not page:
            return seen
        seen += page
        last_org, last_id, last_at = page[-1]
        after = (last_org, last_at, last_id)


def test_each_due_subscription_once_in_order(
    container: Plansmith, tenant: Tenant, other_tenant: Tenant, clock: TestClock
) -> None:
    orgs = [tenant.organization_id, other_tenant.organization_id]
    for org in orgs:
        seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
        _cohort(container, org, clock, date(2027, 1, 10), 7)  # due Feb 10, together
        _cohort(container, org, clock, date(2027, 1, 12), 2)  # due Feb 12
        _cohort(container, org, clock, date(2027, 1, 20), 2)  # not due by Feb 15
    as_of = local_at(date(2027, 2, 15), TZ)

    for org in orgs:
        seen = _walk(container, org, as_of)
        assert len(seen) == 9 == len({sub_id for _org, sub_id, _at in seen})
        assert seen == sorted(seen, key=lambda due: (due[0], due[2], due[1]))
        assert {o for o, _s, _a in seen} == {org}
        assert all(at <= as_of for _o, _s, at in seen)
    everyone = _walk(container, None, as_of)
    assert len(everyone) == 18 == len({sub_id for _org, sub_id, _at in everyone})
    assert everyone == sorted(everyone, key=lambda due: (due[0], due[2], due[1]))
