"""The invariant checks hold for a real history made over the API, on SQLite and PostgreSQL:
cards paid, declined, refunded, credited, topped up, written off, marked paid, voided, and a
second period using customer credit; every event delivered to a real receiver."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.simulation_invariants_support import container, make_history, receiver
from tests.integration.webhook_receiver import Receiver
from tests.simulation.invariants import invariant_violations, undelivered_events

__all__ = ["container", "receiver"]  # fixtures of this module


def test_a_varied_history_breaks_no_invariant(
    container: Plansmith, client: TestClient, tenant: Tenant, clock: TestClock, receiver: Receiver
) -> None:
    made = make_history(container, client, tenant, clock, receiver)

    assert invariant_violations(client, tenant.headers) == []
    assert undelivered_events(client, tenant.headers, made.endpoint_id) == []
    # The checks read something real: eight invoices' worth of events reached the receiver.
    events = made.api.get("/v1/events?limit=100")["data"]
    assert len(events) > 20 and sorted(set(receiver.ids())) == sorted(e["id"] for e in events)
    invoices = made.api.get("/v1/invoices")["data"]
    assert sorted(i["number"] for i in invoices if i["number"]) == [
        f"INV-{n:06d}" for n in range(1, len(invoices) + 1)
    ]


def test_another_organization_is_not_read(
    container: Plansmith,
    client: TestClient,
    tenant: Tenant,
    other_tenant: Tenant,
    clock: TestClock,
    receiver: Receiver,
) -> None:
    make_history(container, client, tenant, clock, receiver)

    assert invariant_violations(client, other_tenant.headers) == []
    assert client.get("/v1/invoices", headers=other_tenant.headers).json()["data"] == []
