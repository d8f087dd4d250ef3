"""The invoice prediction counts the extra packs paid in the period, on both databases: a pack
of 40 calls bought over the API raises the usage line's allowance from 100 to 140 and lowers
its estimate by 40 x 2; February's pack counts nothing in March. The
prediction stays an API read: four statements with the key (the account with its
subscriptions, logs, packs and the catalog revision; the tax rates; the period's aggregates).

The account and its usage are those of test_invoice_prediction_api: Metered (100 calls
included, 2 JPY each past them), 140 calls Feb 1..7, the prediction on Feb 7 at noon."""

from __future__ import annotations

from datetime import date
from typing import Any

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import _ok
from tests.integration.statement_budgets_support import API_READ, counted
from tests.integration.test_invoice_prediction_api import _lines, _metered_account
from tests.integration.usage_api_support import UsageApi, usage
from tests.integration.usage_packs_support import card, pack
from tests.unit.subscription_builders import local_at

__all__ = ["usage"]


def _calls(found: dict[str, Any]) -> tuple[Any, ...]:
    [one] = found["subscriptions"]
    [calls] = [line for line in _lines(one) if line[0] == "usage:calls"]
    return calls


def test_a_pack_bought_lowers_the_estimate_of_the_usage_line(
    usage: UsageApi, clock: TestClock, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    account, sub = _metered_account(usage, clock)
    pack(container, org, "calls_40", "calls", 40, 500)
    card(container, org, account)
    before = _ok(usage.get(f"/v1/accounts/{account}/prediction"))
    assert _calls(before) == ("usage:calls", "140", "560", 100, 80, 920, 8, 92)

    bought = usage.client.post(
        f"/v1/subscriptions/{sub}/packs",
        json={"pack": "calls_40"},
        headers={**usage.headers, "Idempotency-Key": "calls-40"},
    )
    assert bought.status_code == 201, bought.text
    assert (bought.json()["status"], bought.json()["period_start"]) == ("paid", "2026-02-01")

    with counted(container) as reads:
        after = _ok(usage.get(f"/v1/accounts/{account}/prediction"))
    assert len(reads.statements) <= API_READ, reads.statements
    # 140 included with the pack: nothing past it so far; (560 - 140) x 2 = 840 at the end.
    assert _calls(after) == ("usage:calls", "140", "560", 140, 0, 840, 0, 84)
    assert after["totals"][0]["estimate"] == before["totals"][0]["estimate"] - 80 - 8


def test_a_pack_of_the_last_period_counts_nothing_in_the_next(
    usage: UsageApi, clock: TestClock, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    account, sub = _metered_account(usage, clock)
    pack(container, org, "calls_40", "calls", 40, 500)
    card(container, org, account)
    bought = usage.client.post(
        f"/v1/subscriptions/{sub}/packs",
        json={"pack": "calls_40"},
        headers={**usage.headers, "Idempotency-Key": "calls-40"},
    )
    assert bought.status_code == 201, bought.text
    # March 3 with no billing run yet: the stored period is still February's.
    clock.set(local_at(date(2026, 3, 3), "Asia/Tokyo", 12))

    found = _ok(usage.get(f"/v1/accounts/{account}/prediction"))

    [one] = found["subscriptions"]
    assert one["period_start"] == "2026-03-01"
    assert _calls(found)[3] == 100  # February's pack is spent with February
