"""A stopped usage window is billed on the subscription that was stopped, whichever
subscription of the account owns the meter for the current period (ADR 0034, docs/usage.md
"A new subscription on the stop's date"), through the API in a sandbox, on SQLite and
PostgreSQL.

The sandbox's clock is frozen at 2024-02-29 12:00 UTC. Each account (Europe/London, JPY)
subscribes to `team` yearly, cancels it now and subscribes to `basic` monthly, all at that
instant: the two subscriptions share a `created_at`, so which one owns `calls` for the current
period is decided by their random ids. The stopped window [29 February, 1 March) must be an
item of the team subscription every time, rated by team's charge (JPY 2 a call; its allowance
prorated by the 0 days held before the stop date is 0), never by basic's (JPY 5 past 10).
Eight accounts make a wrong owner all but certain to show (1 in 256 to miss it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from fastapi.testclient import TestClient

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.usage_billing_support import meter as new_meter
from tests.unit.subscription_builders import seed_catalog

ACCOUNTS = 8
CALLS = 7
_ids = count()


def _charge(included: int, unit_price: str) -> dict[str, object]:
    return {
        "meter": "calls",
        "currency": "JPY",
        "included": included,
        "limit": "soft",
        "model": "per_unit",
        "unit_price": unit_price,
    }


def _plan(month: int, year: int, charge: dict[str, object]) -> dict[str, object]:
    prices = [
        {"currency": "JPY", "cycle": "month", "amount": month},
        {"currency": "JPY", "cycle": "year", "amount": year},
    ]
    return {"pricing": "per_seat", "prices": prices, "charges": [charge]}


def _sandbox(container: Plansmith) -> Tenant:
    org = create_organization(
        container.uow(),
        container.clock,
        "Window Owner Sandbox",
        sandbox=True,
        test_clock_start=datetime(2024, 2, 29, 12, 0, tzinfo=UTC),
    )
    issued = create_api_key(container.uow(), container.clock, org.id, "test")
    new_meter(container, org.id, "calls")
    plans = {
        "team": _plan(3000, 30000, _charge(100, "2")),
        "basic": _plan(1000, 10000, _charge(10, "5")),
    }
    seed_catalog(container, org.id, plans=plans, add_ons=False)
    return Tenant(org.id, issued.secret)


class Api:
    def __init__(self, client: TestClient, sandbox: Tenant) -> None:
        self.client, self.h = client, sandbox.headers

    def post(self, path: str, body: dict[str, object], status: int = 200) -> Any:
        done = self.client.post(
            path, json=body, headers={**self.h, "Idempotency-Key": f"k-{next(_ids)}"}
        )
        assert done.status_code == status, done.text
        return done.json()

    def items(self, sub_id: str) -> list[dict[str, Any]]:
        done = self.client.get(f"/v1/subscriptions/{sub_id}/items", headers=self.h)
        assert done.status_code == 200, done.text
        return list(done.json()["data"])


def _usage(items: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    return [
        (i["period_start"], i["period_end"], i["amount"], i["cycle"], i["invoice_id"] is not None)
        for i in items
        if i["kind"] == "usage"
    ]


def test_the_stopped_window_is_billed_on_the_stopped_subscription_every_time(
    client: TestClient, container: Plansmith
) -> None:
    api = Api(client, _sandbox(container))
    pairs = []
    for n in range(ACCOUNTS):
        account = api.post(
            "/v1/accounts",
            {
                "name": f"Account {n}",
                "email": f"a{n}@example.com",
                "currency": "JPY",
                "time_zone": "Europe/London",
            },
            201,
        )["id"]
        team = api.post(
            "/v1/subscriptions", {"account_id": account, "plan": "team", "cycle": "year"}, 201
        )["id"]
        api.post(f"/v1/subscriptions/{team}/cancel", {"when": "now"})
        basic = api.post("/v1/subscriptions", {"account_id": account, "plan": "basic"}, 201)["id"]
        events = [
            {"id": f"e{next(_ids)}", "account_id": account, "code": "calls"}
            | {"timestamp": "2024-02-29T11:59:00Z"}
            for _ in range(CALLS)
        ]
        answered = api.post("/v1/events/batch", {"events": events})
        assert [a["status"] for a in answered["data"]] == ["accepted"] * CALLS
        pairs.append((team, basic))
    api.post("/v1/test_clock/advance", {"to": "2024-03-28T12:00:00Z"})
    owners = []
    for team, basic in pairs:
        owners.append((_usage(api.items(team)), _usage(api.items(basic))))
    # 7 calls of 29 February at team's JPY 2, none included: JPY 14, invoiced.
    assert owners == [([("2024-02-29", "2024-03-01", 2 * CALLS, "year", True)], [])] * ACCOUNTS
