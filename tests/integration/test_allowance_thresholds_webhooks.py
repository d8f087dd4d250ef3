"""Webhook endpoints get the usage notices' events like any outbox event, on SQLite and
PostgreSQL: an endpoint taking ``allowance.threshold_reached`` and ``pack.purchased`` has one
delivery of each event, and none of the types it does not take."""

from __future__ import annotations

from sqlalchemy import text

from plansmith.adapters.clock import TestClock
from plansmith.application.usage.ingest import ingest
from plansmith.application.webhooks import endpoints as uc
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _monthly_plan, _subscribe
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TYPES = ["allowance.threshold_reached", "pack.purchased"]


def test_an_endpoint_gets_each_threshold_and_pack_event_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(container, org, "chatbot_sessions")
    charges = [charge("chatbot_sessions", 10, "soft")]
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1000}, charges=charges)})
    pack(container, org, "sessions_5", "chatbot_sessions", 5, 500)
    account = new_account(container, org, "JPY", TZ)
    card(container, org, account)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(container, org, account, "basic", 1)
    policy = uc.UrlPolicy(True, lambda host, port: ["127.0.0.1"])
    uc.create_endpoint(
        container.uow(), clock, policy, org, url="http://127.0.0.1:9/hook", event_types=TYPES
    )
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    events: list[object] = [
        {
            "id": f"e{n}",
            "account_id": account,
            "code": "chatbot_sessions",
            "timestamp": "2026-03-10T12:00:00+09:00",
        }
        for n in range(10)
    ]
    ingest(container.uow(), clock, org, events)
    buy(container, org, sub_id, "sessions_5")
    for _ in range(2):  # handed twice: still one delivery each
        relay = container.relay()
        relay.run_until_idle()
        relay.stop()
    query = text(
        "SELECT e.type, e.data FROM webhook_deliveries d JOIN outbox_events e"
        " ON e.id = d.event_id ORDER BY e.type"
    )
    with container.engine.connect() as connection:
        found = [row[0] for row in connection.execute(query)]
    assert found == ["allowance.threshold_reached"] * 2 + ["pack.purchased"]
