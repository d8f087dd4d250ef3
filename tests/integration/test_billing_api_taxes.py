"""The /v1 billing API on SQLite and PostgreSQL: tax rates.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import (
    NO_GRACE,
    Api,
    _assert_problem,
    _line_figures,
    _ok,
    api,
)
from tests.integration.route_calls import _dump

__all__ = ["api"]  # the shared fixture


# -- taxes ------------------------------------------------------------------------------------


@NO_GRACE
def test_tax_by_the_invoice_address_country_or_the_accounts_own_rate(api: Api) -> None:
    japan = api.tax_rate(name="Consumption tax", percent="10", country="JP")
    reduced = api.tax_rate(name="Reduced rate", percent="8", inclusive=True)
    tokyo = api.account("Tanaka Shoji", "JP")
    abroad = api.account("Smith Trading", "US")
    nowhere = api.account("Meyer Handel", "DE")
    chosen = _ok(api.post(f"/v1/accounts/{abroad}/tax_rate", {"tax_rate_id": reduced}))
    for account_id in (tokyo, abroad, nowhere):
        api.subscribe(account_id)

    api.run()

    assert chosen["tax_rate"]["id"] == reduced
    by_account = {i["account_id"]: i for i in api.invoices()}
    # JP address, 10 % exclusive: 14,970 x 10 % = 1,497 on top -> 16,467.
    assert _line_figures(by_account[tokyo]) == [("recurring", "2026-02-01", 14970, 0, 1497, 16467)]
    assert by_account[tokyo]["tax_summary"] == [
        {
            "tax_rate_id": japan,
            "name": "Consumption tax",
            "percent": "10",
            "inclusive": False,
            "taxable": 14970,
            "taxable_formatted": "¥14,970",
            "tax": 1497,
            "tax_formatted": "¥1,497",
        }
    ]
    assert (by_account[tokyo]["totals"]["tax"], by_account[tokyo]["totals"]["total"]) == (
        1497,
        16467,
    )
    # The account's own 8 % inclusive rate: 14,970 x 8 / 108 = 1,108.89 -> 1,109 inside it,
    # taxable 14,970 - 1,109 = 13,861, total still 14,970.
    assert _line_figures(by_account[abroad]) == [("recurring", "2026-02-01", 14970, 0, 1109, 14970)]
    summary = by_account[abroad]["tax_summary"][0]
    assert (summary["tax_rate_id"], summary["taxable"], summary["tax"]) == (reduced, 13861, 1109)
    # No rate for DE: no tax.
    assert _line_figures(by_account[nowhere]) == [("recurring", "2026-02-01", 14970, 0, 0, 14970)]
    assert by_account[nowhere]["tax_summary"] == []
    assert api.balances(tokyo) == {"receivable": 16467, "revenue": -14970, "tax_payable": -1497}
    listed = _ok(api.get("/v1/tax_rates"))["data"]
    assert [(r["id"], r["percent"], r["inclusive"], r["country"]) for r in listed] == [
        (japan, "10", False, "JP"),
        (reduced, "8", True, None),
    ]


def test_a_tax_rate_with_a_region_but_no_country_is_422_naming_region(
    api: Api, container: Plansmith
) -> None:
    before = _dump(container)

    response = api.post("/v1/tax_rates", {"name": "State tax", "percent": "7", "region": "CA"})

    _assert_problem(response, 422, "invalid_value", "region")
    assert _dump(container) == before


def test_a_tax_rate_of_another_organization_cannot_be_chosen_for_an_account(
    api: Api, client: TestClient, other_tenant: Tenant, container: Plansmith
) -> None:
    theirs = Api(client, other_tenant).tax_rate(name="VAT", percent="19", country="DE")
    account_id = api.account()
    before = _dump(container)

    response = api.post(f"/v1/accounts/{account_id}/tax_rate", {"tax_rate_id": theirs})

    _assert_problem(response, 404, "not_found", "tax_rate_id")
    assert _dump(container) == before
