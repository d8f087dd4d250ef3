"""A coupon for N invoices discounts N invoices, even when drafts wait for their grace period.

A coupon's use is counted when its invoice is finalized, but the discount is decided when the
draft is made. With a grace period longer than a billing period (a weekly plan, drafts kept
ten days), the next period's draft is made while the last one still waits: it must count the
waiting draft as a use, or a "once" coupon discounts every invoice made during the grace.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import make_tenant

WEEK = timedelta(days=7)


@pytest.fixture
def container(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        base_url="http://testserver",
        invoice_grace_minutes=10 * 24 * 60,  # ten days: longer than a week
    )
    app = bootstrap(settings, clock=clock)
    yield app
    app.dispose()


@pytest.fixture
def api(container: Plansmith) -> Iterator[Any]:
    tenant = make_tenant(container, "Acme Operator")
    with TestClient(create_app(container)) as client:

        def call(method: str, path: str, body: Any = None, status: int = 200) -> Any:
            response = client.request(method, path, json=body, headers=tenant.headers)
            assert response.status_code == status, response.text
            return response.json()

        yield call


@pytest.mark.parametrize(
    ("duration", "limit"),
    [({"duration": "once"}, 1), ({"duration": "repeating", "cycles": 2}, 2)],
    ids=["once", "2-invoices"],
)
def test_a_coupon_discounts_no_more_invoices_than_it_lasts_while_drafts_wait(
    api: Any, clock: TestClock, duration: dict[str, Any], limit: int
) -> None:
    api("POST", "/v1/plan_families", {"code": "service", "name": "Service plans"}, 201)
    weekly = {"currency": "JPY", "cycle": "week", "amount": 1000}
    terms = {"pricing": "per_seat", "prices": [weekly]}
    plan = {"code": "pro", "name": "Pro", "family": "service", "terms": terms, "publish": True}
    api("POST", "/v1/plans", plan, 201)
    account = {"name": "Weekly Ltd", "email": "billing@weekly.example", "currency": "JPY"}
    account_id = api("POST", "/v1/accounts", account, 201)["id"]
    body = {"account_id": account_id, "plan": "pro", "quantity": 1, "cycle": "week"}
    sub_id = api("POST", "/v1/subscriptions", body, 201)["id"]
    coupon = {"code": "half", "name": "Half off", "kind": "percent", "percent": "50", **duration}
    api("POST", "/v1/coupons", coupon, 201)
    api("POST", f"/v1/subscriptions/{sub_id}/coupons", {"code": "half"}, 201)

    # A run each week: each makes the week's draft while last week's still waits (10 days).
    for week in range(5):
        clock.set(clock.now() + (WEEK if week else timedelta(0)) + timedelta(hours=1))
        api("POST", "/v1/billing_runs", None, 201)

    invoices = sorted(api("GET", "/v1/invoices")["data"], key=lambda i: i["period"]["start"])
    discounts = [i["totals"]["discount"] for i in invoices]
    assert discounts == [500] * limit + [0] * (len(invoices) - limit), discounts
    [redemption] = api("GET", f"/v1/subscriptions/{sub_id}/coupons")["data"]
    finalized = [i for i in invoices if i["status"] != "draft"]
    assert redemption["invoices_used"] == sum(i["totals"]["discount"] > 0 for i in finalized)
    assert redemption["invoices_used"] <= limit
