"""The relay hands a pass's events to batch subscribers (the webhook fan-out) in one call, on
SQLite and PostgreSQL: the fan-out of a pass costs a fixed number of statements whatever its
size, an event handed again makes no delivery twice, and a refused batch is handed one event
at a time, the refused event holding back its object's later events from every subscriber
while one-by-one subscribers still get the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import event

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.events.outbox import SqlRelayStore
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.events.relay import Relay
from plansmith.application.webhooks import endpoints as uc
from plansmith.application.webhooks.fan_out import WebhookFanOut
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.webhook_support import count, payment_event, publish_payments


@dataclass
class BatchRecorder:
    """A batch subscriber refusing any batch holding a refused event, and that event alone."""

    name: str = "batch_recorder"
    refuse: set[str] = field(default_factory=set)
    batches: list[list[str]] = field(default_factory=list)
    got: list[str] = field(default_factory=list)

    def handle(self, event: PublishedEvent) -> None:
        if event.id in self.refuse:
            raise ConnectionError("refused")
        self.got.append(event.id)

    def handle_batch(self, events: Sequence[PublishedEvent]) -> None:
        if any(e.id in self.refuse for e in events):
            raise ConnectionError("a batch with a refused event")
        self.batches.append([e.id for e in events])
        self.got += [e.id for e in events]


@dataclass
class OneByOne:
    name: str = "one_by_one"
    got: list[str] = field(default_factory=list)

    def handle(self, event: PublishedEvent) -> None:
        self.got.append(event.id)


def _endpoints(container: Plansmith, tenant: Tenant, n: int) -> None:
    policy = uc.UrlPolicy(True, lambda host, port: ["127.0.0.1"])
    for k in range(n):
        url = f"http://127.0.0.1:{9000 + k}/hooks"
        uc.create_endpoint(
            container.uow(), container.clock, policy, tenant.organization_id, url=url
        )


def _pass_statements(container: Plansmith, relay: Relay) -> list[tuple[str, bool]]:
    seen: list[tuple[str, bool]] = []

    def note(*args: Any) -> None:
        seen.append((args[2], bool(args[5])))

    event.listen(container.engine, "before_cursor_execute", note)
    try:
        done = relay.run_once()
    finally:
        event.remove(container.engine, "before_cursor_execute", note)
    assert done.held and done.failed == 0 and done.waiting == 0
    return seen


def _ids(container: Plansmith) -> list[str]:
    c = t.outbox_events.c
    with container.engine.connect() as connection:
        q = t.outbox_events.select().with_only_columns(c.id).order_by(c.seq)
        return [i for (i,) in connection.execute(q)]


def test_the_fan_out_of_a_pass_costs_fixed_statements_and_makes_nothing_twice(
    container: Plansmith, tenant: Tenant, clock: TestClock, db_url: str
) -> None:
    _endpoints(container, tenant, 3)
    fan_out = WebhookFanOut(container.uow, clock)
    relay = Relay(SqlRelayStore(container.sessions), [fan_out], clock)
    assert relay.run_once().delivered == 0  # the lease taken: the passes below run alike
    publish_payments(container, tenant.organization_id, 4)
    few = _pass_statements(container, relay)
    publish_payments(container, tenant.organization_id, 40, start=4)
    many = _pass_statements(container, relay)
    assert len(many) == len(few)
    if db_url.startswith("postgresql"):
        assert not any(executemany for _, executemany in few + many)
    assert count(container, t.webhook_deliveries) == 3 * 44

    # A relay that died before recording hands the events again: nothing is made twice.
    fan_out.handle_batch(_handed_again(container))
    assert count(container, t.webhook_deliveries) == 3 * 44
    relay.stop()


def _handed_again(container: Plansmith) -> list[PublishedEvent]:
    """Every event as the relay reads them, marked undelivered again as if never recorded."""
    with container.sessions() as session:
        session.execute(t.outbox_events.update().values(delivered_at=None))
        session.commit()
    found = list(SqlRelayStore(container.sessions).undelivered(1000))
    assert {e.id for e in found} == set(_ids(container))
    return found


def test_a_refused_batch_is_handed_one_by_one_and_holds_back_only_its_object(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    at = clock.now()
    with container.uow() as uow:  # two events of invoice A, two of invoice B
        uow.publish(
            [
                replace(payment_event(org, n, at), invoice_id=invoice)
                for n, invoice in enumerate(["inv_A", "inv_B", "inv_A", "inv_B"])
            ]
        )
        uow.commit()
    a1, b1, a2, b2 = _ids(container)
    batch = BatchRecorder(refuse={a1})
    single = OneByOne()
    relay = Relay(SqlRelayStore(container.sessions), [batch, single], clock)

    done = relay.run_once()
    assert (done.delivered, done.failed, done.waiting) == (2, 1, 1)
    assert batch.batches == [] and batch.got == [b1, b2]  # A's later event held back
    assert single.got == [b1, b2]  # a refused event is handed to nobody else either

    batch.refuse.clear()
    done = relay.run_once()
    assert (done.delivered, done.failed, done.waiting) == (2, 0, 0)
    assert batch.batches == [[a1, a2]]  # in order, B not handed again
    assert single.got == [b1, b2, a1, a2]
    c = t.outbox_events.c
    with container.engine.connect() as connection:
        rows = connection.execute(
            t.outbox_events.select().with_only_columns(c.id, c.delivered_at, c.attempts)
        ).all()
    assert all(delivered is not None for _, delivered, _ in rows)
    assert {i: n for i, _, n in rows}[a1] == 1  # its refusal counted once
    relay.stop()
