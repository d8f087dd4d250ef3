"""With no subscriber registered (the default), the relay settles every undelivered event in
one statement that reads none, not a transaction per event: a worker that relays while it
bills must not spend a transaction per event it has nobody to hand to. SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.events.outbox import SqlRelayStore
from plansmith.application.events.relay import Relay
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import new_account, seed_catalog

PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def _events(container: Plansmith, tenant: Tenant, clock: TestClock, subscriptions: int) -> None:
    org = tenant.organization_id
    for k in range(subscriptions):
        account = new_account(container, org, "USD", "UTC", name=f"Customer {k}")
        sub = subscribe(container.uow(), clock, org, SubscribeInput(account, "seat"))
        actions.cancel_subscription(container.uow(), clock, org, sub.view.subscription.id, "now")


def _undelivered(container: Plansmith) -> int:
    c = t.outbox_events.c
    q = select(func.count()).select_from(t.outbox_events).where(c.delivered_at.is_(None))
    with container.engine.connect() as connection:
        return int(connection.execute(q).scalar_one())


def _statements_of_one_pass(container: Plansmith, relay: Relay) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        done = relay.run_once()
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    assert done.held
    return len(seen)


def test_without_subscribers_a_pass_settles_every_event_in_a_fixed_number_of_statements(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    seed_catalog(container, tenant.organization_id, plans={"seat": PLAN}, add_ons=False)
    relay = Relay(SqlRelayStore(container.sessions), [], clock)
    _events(container, tenant, clock, 1)
    few = _undelivered(container)
    assert few >= 2  # created, canceled
    few_statements = _statements_of_one_pass(container, relay)
    assert _undelivered(container) == 0

    _events(container, tenant, clock, 12)
    many = _undelivered(container)
    assert many >= 12 * few
    many_statements = _statements_of_one_pass(container, relay)
    assert _undelivered(container) == 0
    # The first pass also took the lease; each then marks once, whatever the number.
    assert many_statements <= few_statements
    assert many_statements <= 3
