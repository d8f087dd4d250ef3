"""The console customer page's usage section over HTTP, on both databases: each meter's value
in the billing period holding today, or the date chosen (a previous period), beside what the
plan held includes (its allowance) and charges for that meter; a wrong date is said beside
the date field, and an account without a subscription says it has no period.

The account (Tokyo, JPY) holds Pro from Feb 1, 2026 (local): its periods are [Feb 1, Mar 1)
and [Mar 1, Apr 1). Pro includes 1,000 calls a period and charges the rest per unit."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import _ok
from tests.integration.console_catalog_support import PASSWORD, _text, operator_client
from tests.integration.usage_api_support import UsageApi

__all__ = ["operator_client"]  # the shared fixture

CHARGE = {
    "meter": "calls",
    "currency": "JPY",
    "included": 1000,
    "limit": "soft",
    "model": "per_unit",
    "unit_price": "0.5",
}


def _world(client: TestClient, tenant: Tenant) -> tuple[UsageApi, str]:
    api = UsageApi(client, tenant)
    _ok(api.post("/v1/plan_families", {"code": "service", "name": "Service plans"}), 201)
    api.meters()
    plan = {
        "code": "pro",
        "name": "Pro",
        "family": "service",
        "terms": {
            "base_prices": {"JPY": 4990},
            "allowances": {"calls": 1000},
            "charges": [CHARGE],
        },
        "publish": True,
    }
    _ok(api.post("/v1/plans", plan), 201)
    return api, api.subscriber()


def _sign_in(client: TestClient) -> None:
    """Again, after the clock moved past the console session's life."""
    data = {"email": "ops@acme.example", "password": PASSWORD}
    signed_in = client.post("/console/login", data=data, follow_redirects=False)
    assert signed_in.status_code == 303


def _row(page_html: str, code: str) -> str:
    match = re.search(rf'<tr id="meter-{code}">(.*?)</tr>', page_html, re.S)
    assert match, f"no row for meter {code}"
    return _text(match.group(1))


def test_usage_of_this_period_and_of_a_previous_one_with_the_plans_allowance_and_charge(
    operator_client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    api, account_id = _world(operator_client, tenant)
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=9))  # Feb 10 in Tokyo
    _sign_in(operator_client)
    for n in range(3):
        _ok(api.event(account_id, f"ev-{n}", "2026-02-05T01:00:00Z", bytes=100 * (n + 1)), 201)
    _ok(api.event(account_id, "login-1", "2026-02-06T01:00:00Z", user="aiko"), 201)
    url = f"/console/customers/{account_id}"

    now = operator_client.get(url)
    container.clock.advance(timedelta(days=24))  # Mar 6 in Tokyo: a new period
    _sign_in(operator_client)
    later = operator_client.get(url)
    before = operator_client.get(url, params={"usage_at": "2026-02-10"})

    assert now.status_code == later.status_code == before.status_code == 200
    assert "Billing period Feb 1, 2026 to Mar 1, 2026" in _text(now)
    assert (
        _row(now.text, "calls") == "API calls calls 3 1,000 JPY · included 1,000 · soft · per_unit"
    )
    assert _row(now.text, "bytes") == "Bytes sent bytes 600 — —"
    assert _row(now.text, "users") == "Active users users 1 — —"
    assert "Billing period Mar 1, 2026 to Apr 1, 2026" in _text(later)
    assert _row(later.text, "calls").startswith("API calls calls 0 1,000")
    assert "Billing period Feb 1, 2026 to Mar 1, 2026" in _text(before)
    assert _row(before.text, "calls").startswith("API calls calls 3 1,000")
    assert 'value="2026-02-10"' in before.text


def test_a_wrong_date_is_said_beside_the_field_and_a_date_before_the_plan_has_no_period(
    operator_client: TestClient, tenant: Tenant
) -> None:
    _api, account_id = _world(operator_client, tenant)
    url = f"/console/customers/{account_id}"

    wrong = operator_client.get(url, params={"usage_at": "10/02/2026"})
    early = operator_client.get(url, params={"usage_at": "2025-12-01"})

    assert wrong.status_code == 200
    error = re.search(r'id="usage_at-error">([^<]*)<', wrong.text)
    assert error and error.group(1) == "Enter a date as YYYY-MM-DD"
    assert 'aria-describedby="usage_at-error"' in wrong.text
    assert early.status_code == 200
    assert 'id="usage-refused"' in early.text
    assert 'id="usage-meters"' not in early.text


def test_an_account_without_a_subscription_has_no_usage_period(
    operator_client: TestClient, tenant: Tenant
) -> None:
    api = UsageApi(operator_client, tenant)
    api.meters()
    account_id = api.account()

    page = operator_client.get(f"/console/customers/{account_id}")

    assert page.status_code == 200
    refused = re.search(r'id="usage-refused">([^<]*)<', page.text)
    assert refused and "no subscription" in refused.group(1)
