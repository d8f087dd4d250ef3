"""A process's delivery loops (``webhooks_loops``): on PostgreSQL several loops share one sender
and take disjoint batches, so every due delivery is sent once, by one of them; SQLite (one
writer) runs one loop. Both through `plansmith serve`'s background loop and the CLI's
until-idle pass, to a real local receiver that checks every signature."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webhook_loop import DeliveryLoop, until_idle
from tests.conftest import Tenant
from tests.integration.webhook_receiver import Receiver, receiving
from tests.integration.webhook_support import (
    attempts,
    deliveries,
    publish_payments,
    relay_all,
    webhook_app,
)

EVENTS = 120


@pytest.fixture
def container(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    with webhook_app(db_url, clock, webhooks_loops=3, webhooks_threads=4) as app:
        yield app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def _due_everywhere(container: Plansmith, client: TestClient, tenant: Tenant, url: str) -> str:
    answer = client.post("/v1/webhook_endpoints", json={"url": url}, headers=tenant.headers)
    assert answer.status_code == 201, answer.text
    secret = str(answer.json()["secret"])
    publish_payments(container, tenant.organization_id, EVENTS)
    relay_all(container)
    return secret


def _small_batches(workers: list[DeliveryWorker]) -> None:
    for worker in workers:
        worker.batch = 7  # many batches, so the loops take turns and race for rows


def test_the_loops_share_one_sender_three_on_postgresql_one_on_sqlite(
    container: Plansmith, db_url: str
) -> None:
    workers = container.delivery_workers()
    try:
        expected = 3 if db_url.startswith("postgresql") else 1
        assert len(workers) == expected
        assert len({id(w.sender) for w in workers}) == 1
        assert len({w.holder for w in workers}) == expected  # each loop its own lease holder
    finally:
        workers[0].sender.close()


def test_until_idle_sends_every_due_delivery_once(
    container: Plansmith, client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.secrets.append(_due_everywhere(container, client, tenant, receiver.url))
    workers = container.delivery_workers()
    _small_batches(workers)
    try:
        assert until_idle(workers) == EVENTS
    finally:
        workers[0].sender.close()
    assert len(receiver.got) == EVENTS
    assert all(r.verified_by == (0,) for r in receiver.got)
    assert len({r.webhook_id for r in receiver.got}) == EVENTS
    assert {d["state"] for d in deliveries(container)} == {"succeeded"}
    assert len(attempts(container)) == EVENTS


def test_the_serve_loop_sends_every_due_delivery_once_then_stops(
    container: Plansmith, client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.secrets.append(_due_everywhere(container, client, tenant, receiver.url))
    workers = container.delivery_workers()
    _small_batches(workers)
    loop = DeliveryLoop(workers, every_seconds=0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 60
        while len(receiver.got) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # room for a double to show up, were there one
    finally:
        loop.stop()
    assert len(receiver.got) == EVENTS
    assert len({r.webhook_id for r in receiver.got}) == EVENTS
    assert len(attempts(container)) == EVENTS
