"""The outbox relay on SQLite and PostgreSQL: each subscriber gets every event, one object's
events in the order they happened (a refused event holds back the later ones of its object,
not the others'), at least once, recorded once per subscriber; one relay at a time by lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.events.outbox import SqlRelayStore
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.events.relay import Relay
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import new_account, seed_catalog

PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


@dataclass
class Recorder:
    name: str
    got: list[PublishedEvent] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # event ids refused once each

    def handle(self, event: PublishedEvent) -> None:
        if event.id in self.refuse:
            self.refuse.discard(event.id)
            raise ConnectionError("the receiver is down")
        self.got.append(event)


def _two_subscriptions_with_history(container: Plansmith, tenant: Tenant, clock: TestClock) -> None:
    org = tenant.organization_id
    seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
    for k in range(2):
        account = new_account(container, org, "USD", "UTC", name=f"Customer {k}")
        sub = subscribe(container.uow(), clock, org, SubscribeInput(account, "seat"))
        sub_id = sub.view.subscription.id
        actions.change_subscription(
            container.uow(), clock, org, sub_id, actions.ChangeInput(quantity=2 + k)
        )
        actions.cancel_subscription(container.uow(), clock, org, sub_id, "now")


def _outbox(container: Plansmith) -> list[tuple[str, str, object]]:
    c = t.outbox_events.c
    q = select(c.id, c.aggregate_id, c.delivered_at).order_by(c.seq)
    with container.engine.connect() as connection:
        return [(i, a, d) for i, a, d in connection.execute(q)]


def _deliveries(container: Plansmith) -> int:
    with container.engine.connect() as connection:
        q = select(func.count()).select_from(t.outbox_deliveries)
        return int(connection.execute(q).scalar_one())


def _per_aggregate(events: list[PublishedEvent]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for event in events:
        found.setdefault(event.aggregate_id, []).append(event.seq)
    return found


def test_a_refused_event_holds_back_its_objects_later_events_only(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _two_subscriptions_with_history(container, tenant, clock)
    rows = _outbox(container)
    first, second = rows[0][1], rows[-1][1]
    assert first != second and len(rows) == 6
    of_first = [i for i, a, _ in rows if a == first]
    steady, flaky = Recorder("steady"), Recorder("flaky", refuse={of_first[1]})
    relay = Relay(SqlRelayStore(container.sessions), [steady, flaky], clock)

    done = relay.run_once()

    assert (done.delivered, done.failed, done.waiting) == (4, 1, 1)
    assert [e.id for e in flaky.got if e.aggregate_id == first] == of_first[:1]
    assert len([e for e in flaky.got if e.aggregate_id == second]) == 3
    undelivered = [i for i, _, delivered in _outbox(container) if delivered is None]
    assert undelivered == of_first[1:]

    assert relay.run_until_idle() == 2

    # Every event to each subscriber once, each object's in the order they happened.
    for recorder in (steady, flaky):
        assert sorted(e.id for e in recorder.got) == sorted(i for i, _, _ in rows)
        assert all(s == sorted(s) for s in _per_aggregate(recorder.got).values())
    assert [i for i, _, delivered in _outbox(container) if delivered is None] == []
    assert _deliveries(container) == 2 * len(rows)
    assert relay.run_once().delivered == 0 and len(steady.got) == len(rows)


def test_a_delivery_recorded_by_a_relay_that_died_is_not_handed_again(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _two_subscriptions_with_history(container, tenant, clock)
    store = SqlRelayStore(container.sessions)
    rows = _outbox(container)
    # A relay died after recording the first event for "a", before "b" took it.
    store.record([("a", rows[0][0])], [], [], clock.now())
    a, b = Recorder("a"), Recorder("b")

    Relay(store, [a, b], clock).run_until_idle()

    assert rows[0][0] not in {e.id for e in a.got}
    assert len(a.got) == len(rows) - 1 and len(b.got) == len(rows)
    # Recording a pair again (a relay taking over) keeps it once.
    store.record([("a", rows[0][0]), ("b", rows[0][0])], [], [], clock.now())
    assert _deliveries(container) == 2 * len(rows)


def test_one_relay_at_a_time_until_its_lease_runs_out_or_it_stops(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _two_subscriptions_with_history(container, tenant, clock)
    store = SqlRelayStore(container.sessions)
    first, second = Recorder("first"), Recorder("second")
    lease = timedelta(seconds=30)
    one = Relay(store, [first], clock, lease, batch=2)
    other = Relay(store, [second], clock, lease)

    assert one.run_once().delivered == 2
    assert other.run_once().held is False and second.got == []

    clock.advance(lease + timedelta(seconds=1))  # the first one died: its lease ran out
    assert other.run_once().delivered == 4
    assert one.run_once().held is False  # it came back: the other one holds it now

    other.stop()
    assert one.run_once().held is True
