"""The delivery queue in batches, on SQLite and PostgreSQL: due deliveries are leased a batch
at a time (two workers never share one), a batch's outcomes are recorded in a fixed number of
statements whatever its size (no executemany on PostgreSQL, where it runs one statement per
row), and a lease that runs out mid-batch makes another worker send the batch again with the
same webhook-id, the first worker's late record moving nothing on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.webhooks.deliveries import SqlDeliveryStore
from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.webhooks import endpoints as uc
from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.application.webhooks.ports import Answer, Due, Outcome
from plansmith.bootstrap import Plansmith
from plansmith.domain.webhooks.endpoints import DISABLE_AFTER, DISABLE_AFTER_EVENTS
from tests.conftest import Tenant
from tests.integration.webhook_receiver import Receiver, receiving
from tests.integration.webhook_support import (
    attempts,
    deliveries,
    publish_payments,
    relay_all,
    webhook_app,
)

LEASE = timedelta(seconds=60)


@pytest.fixture
def container(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    with webhook_app(db_url, clock) as app:
        yield app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def _endpoint(container: Plansmith, tenant: Tenant, receiver: Receiver) -> str:
    policy = uc.UrlPolicy(True, lambda host, port: ["127.0.0.1"])
    made = uc.create_endpoint(
        container.uow(), container.clock, policy, tenant.organization_id, url=receiver.url
    )
    receiver.secrets.append(made.secret)
    return made.id


def _statements(container: Plansmith, run: Any) -> list[tuple[str, bool]]:
    """The statements ``run`` sent (text, executemany or not)."""
    seen: list[tuple[str, bool]] = []

    def count(*args: Any) -> None:
        seen.append((args[2], bool(args[5])))

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    return seen


def _ok(due: Sequence[Due], clock: TestClock) -> list[Outcome]:
    return [Outcome(d, Answer(200, None, 1, "ok"), clock.now(), None) for d in due]


def test_two_workers_lease_disjoint_batches_and_a_batch_is_recorded_in_fixed_statements(
    container: Plansmith, tenant: Tenant, clock: TestClock, receiver: Receiver, db_url: str
) -> None:
    _endpoint(container, tenant, receiver)
    publish_payments(container, tenant.organization_id, 30)
    relay_all(container)
    store = SqlDeliveryStore(container.sessions)
    now = clock.now()

    first = store.take_due("whw_a", now, now + LEASE, 4)
    second = store.take_due("whw_b", now, now + LEASE, 100)
    assert len(first) == 4 and len(second) == 26
    assert not {d.delivery_id for d in first} & {d.delivery_id for d in second}
    held = Counter(d["leased_by"] for d in deliveries(container))
    assert held == Counter({"whw_a": 4, "whw_b": 26})
    assert store.take_due("whw_c", now, now + LEASE, 100) == []  # all leased

    def record(holder: str, due: Sequence[Due]) -> None:
        at = clock.now()
        store.record(holder, _ok(due, clock), at, DISABLE_AFTER_EVENTS, at - DISABLE_AFTER)

    few = _statements(container, lambda: record("whw_a", first))
    many = _statements(container, lambda: record("whw_b", second))
    assert len(many) == len(few)  # 26 outcomes cost what 4 do
    if db_url.startswith("postgresql"):
        assert not any(executemany for _, executemany in few + many)
    rows = deliveries(container)
    assert all(d["state"] == "succeeded" and d["attempts"] == 1 for d in rows)
    assert all(d["leased_by"] is None and d["lease_until"] is None for d in rows)
    assert len(attempts(container)) == 30


def test_a_lease_run_out_mid_batch_sends_it_again_with_the_same_webhook_id(
    container: Plansmith, tenant: Tenant, clock: TestClock, receiver: Receiver
) -> None:
    _endpoint(container, tenant, receiver)
    publish_payments(container, tenant.organization_id, 5)
    relay_all(container)
    store = SqlDeliveryStore(container.sessions)
    taken_over: list[int] = []

    class LateSender(HttpSender):
        """Sends its batch, then stalls past the lease: meanwhile another worker takes the
        same deliveries and sends them again."""

        def send(self, batch: Sequence[Due]) -> list[Answer]:
            answers = super().send(batch)
            clock.advance(LEASE + timedelta(seconds=1))
            other = HttpSender(allow_private=True)
            try:
                taken_over.append(DeliveryWorker(store, other, clock, LEASE).run_once())
            finally:
                other.close()
            return answers

    late = LateSender(allow_private=True)
    try:
        assert DeliveryWorker(store, late, clock, LEASE, batch=100).run_once() == 5
    finally:
        late.close()

    assert taken_over == [5]  # the whole batch, once its lease ran out
    sent = Counter(receiver.ids())
    assert len(sent) == 5 and set(sent.values()) == {2}  # each event twice, one webhook-id
    for webhook_id in sent:
        bodies = {r.body for r in receiver.got if r.webhook_id == webhook_id}
        assert len(bodies) == 1
    assert all(r.verified_by == (0,) for r in receiver.got)
    # Both attempts logged; only the new holder moved each delivery on, once.
    logged = Counter(a["delivery_id"] for a in attempts(container))
    assert set(logged.values()) == {2}
    rows = deliveries(container)
    assert all(d["state"] == "succeeded" and d["attempts"] == 1 for d in rows)
    assert all(d["leased_by"] is None for d in rows)
