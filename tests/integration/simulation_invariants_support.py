"""Shared by tests/simulation/test_invariants.py and test_invariant_faults.py (here, not under
tests/simulation, whose modules do not import plansmith): a container whose webhooks may
go to 127.0.0.1 and whose drafts are finalized at once, a real receiver, and the small
history made over the API with the relay and the deliveries run in this process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.webhook_receiver import Receiver, receiving
from tests.integration.webhook_support import relay_all, webhook_app
from tests.simulation.small_history import Calls, History, first_period, second_period

AFTER_FEB = datetime(2026, 2, 28, 16, tzinfo=UTC)  # Mar 1 01:00 in Tokyo: the next period


@pytest.fixture
def container(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    with webhook_app(db_url, clock, invoice_grace_minutes=0) as app:
        yield app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@dataclass
class Made:
    api: Calls
    history: History
    endpoint_id: str


def deliver(container: Plansmith) -> None:
    relay_all(container)
    worker = container.delivery_worker()
    try:
        worker.run_until_idle()
    finally:
        worker.sender.close()


def make_history(
    container: Plansmith, client: TestClient, tenant: Tenant, clock: TestClock, receiver: Receiver
) -> Made:
    api = Calls(client, tenant.headers)
    endpoint = api.post("/v1/webhook_endpoints", {"url": receiver.url}, 201)
    receiver.secrets.append(endpoint["secret"])
    history = first_period(api)
    clock.set(AFTER_FEB)
    second_period(api, history)
    deliver(container)
    return Made(api, history, endpoint["id"])
