"""Which invoices a billing run made, on SQLite and PostgreSQL: a run's answer embeds the first
ten (oldest first) and pages the rest at GET /v1/billing_runs/{id}/invoices; a run again makes
and lists none; each invoice names its run; another organization's run is not found; a test
clock advance says, per step, what that step's run made.

Accounts bill in JPY in Asia/Tokyo, on Pro at 4,990 a seat a month. The clock starts at
2026-01-31 15:00 UTC (Feb 1 00:00 in Tokyo); drafts wait the default 60 minutes.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import _dump
from tests.unit.subscription_builders import new_account, seed_catalog

SHOWN = 10  # the invoices a run's answer embeds


class Api:
    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.headers = client, tenant.headers

    def ok(self, method: str, path: str, body: Any = None, status: int = 200, **params: Any) -> Any:
        response = self.client.request(method, path, json=body, params=params, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()

    def subscribers(self, count: int) -> list[str]:
        """A Pro family and ``count`` accounts subscribed to it: their subscription ids."""
        self.ok("POST", "/v1/plan_families", {"code": "service", "name": "Service"}, 201)
        plan = {"code": "pro", "name": "Pro", "family": "service", "publish": True}
        self.ok("POST", "/v1/plans", {**plan, "terms": {"base_prices": {"JPY": 4990}}}, 201)
        subs = []
        for n in range(count):
            account = {"name": f"Customer {n}", "email": f"c{n}@example.com", "currency": "JPY"}
            account_id = self.ok("POST", "/v1/accounts", account, 201)["id"]
            body = {"account_id": account_id, "plan": "pro", "quantity": 1}
            subs.append(self.ok("POST", "/v1/subscriptions", body, 201)["id"])
        return subs

    def every_run_invoice(self, run_id: str, limit: int) -> list[dict[str, Any]]:
        """GET /v1/billing_runs/{id}/invoices, page after page."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.ok("GET", f"/v1/billing_runs/{run_id}/invoices", limit=limit, cursor=cursor)
            found += page["data"]
            assert len(page["data"]) <= limit
            if not page["has_more"]:
                return found
            cursor = page["next_cursor"]


def test_a_run_names_the_invoices_it_made_and_a_run_again_names_none(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, container: Plansmith
) -> None:
    api = Api(client, tenant)
    subs = api.subscribers(SHOWN + 2)

    run = api.ok("POST", "/v1/billing_runs", status=201)
    again = api.ok("POST", "/v1/billing_runs", status=201)

    invoices = api.ok("GET", "/v1/invoices", limit=100)["data"]
    made = [
        {
            "object": "billing_run_invoice",
            "id": invoice["id"],
            "number": None,  # drafts, in their grace period
            "status": "draft",
            "account_id": invoice["account_id"],
            "subscription_id": invoice["subscription_id"],
            "created_at": invoice["created_at"],
        }
        for invoice in invoices  # oldest first, as a run lists them
    ]
    assert sorted(m["subscription_id"] for m in made) == sorted(subs)
    assert {invoice["billing_run_id"] for invoice in invoices} == {run["id"]}
    # The answer embeds the first ten; the rest follow its cursor at its url.
    url = f"/v1/billing_runs/{run['id']}/invoices"
    embedded = run["invoices"]
    assert (embedded["object"], embedded["data"], embedded["has_more"], embedded["url"]) == (
        "list",
        made[:SHOWN],
        True,
        url,
    )
    rest = api.ok("GET", url, cursor=embedded["next_cursor"])
    assert (rest["data"], rest["has_more"]) == (made[SHOWN:], False)
    assert api.every_run_invoice(run["id"], limit=5) == made
    assert api.ok("GET", f"/v1/billing_runs/{run['id']}")["invoices"] == embedded
    # (Both runs started at the same instant of the test clock: in either order.)
    listed = {r["id"]: r["invoices"] for r in api.ok("GET", "/v1/billing_runs")["data"]}
    assert listed == {run["id"]: embedded, again["id"]: again["invoices"]}
    # Run again: nothing new to bill, nothing listed.
    assert (again["invoiced"], again["invoices"]["data"], again["invoices"]["has_more"]) == (
        0,
        [],
        False,
    )
    assert api.every_run_invoice(again["id"], limit=5) == []
    # Another organization cannot see the run nor what it made; asking changes nothing.
    other = Api(client, other_tenant)
    before = _dump(container)
    for path in (f"/v1/billing_runs/{run['id']}", url):
        problem = other.ok("GET", path, status=404)
        assert (problem["code"], problem["field"]) == ("not_found", "run_id")
    assert _dump(container) == before


def test_a_finalized_invoice_is_listed_with_its_number(client: TestClient, tenant: Tenant) -> None:
    api = Api(client, tenant)
    [sub] = api.subscribers(1)
    run = api.ok("POST", "/v1/billing_runs", status=201)
    [made] = run["invoices"]["data"]

    api.ok("POST", f"/v1/invoices/{made['id']}/finalize")

    # A run lists its invoices as they stand now.
    [now] = api.ok("GET", f"/v1/billing_runs/{run['id']}/invoices")["data"]
    assert (made["number"], made["status"]) == (None, "draft")
    assert (now["id"], now["number"], now["status"], now["subscription_id"]) == (
        made["id"],
        "INV-000001",
        "open",
        sub,
    )


def test_a_test_clock_advance_says_which_invoices_each_step_made(
    client: TestClient, container: Plansmith
) -> None:
    org = create_organization(container.uow(), container.clock, "Acme Sandbox", sandbox=True)
    sandbox = Tenant(org.id, create_api_key(container.uow(), container.clock, org.id, "t").secret)
    prices = [{"currency": "JPY", "cycle": "month", "amount": 1490}]
    seed_catalog(
        container,
        org.id,
        plans={"basic": {"pricing": "per_seat", "prices": prices}},
        add_ons=False,
    )
    api = Api(client, sandbox)
    subs = []
    for _ in range(2):
        account = new_account(container, org.id, "JPY", "UTC")
        body = {"account_id": account, "plan": "basic", "quantity": 3}
        subs.append(api.ok("POST", "/v1/subscriptions", body, 201)["id"])

    advanced = api.ok("POST", "/v1/test_clock/advance", {"to": "2026-04-15T00:00:00Z"})

    invoices = api.ok("GET", "/v1/invoices", limit=100)["data"]
    steps = advanced["steps"]
    listed = [m["id"] for step in steps for m in step["invoices"]["data"]]
    # Each invoice is named once, by the step whose run made it: Feb, Mar and Apr for each.
    assert sorted(listed) == sorted(i["id"] for i in invoices)
    assert len(invoices) == 3 * len(subs) == advanced["invoiced"]
    for step in steps:
        made = step["invoices"]
        assert made["url"] == f"/v1/billing_runs/{step['billing_run_id']}/invoices"
        assert (len(made["data"]), made["has_more"]) == (step["invoiced"], False)
        assert {m["id"] for m in made["data"]} == {
            i["id"] for i in invoices if i["billing_run_id"] == step["billing_run_id"]
        }
