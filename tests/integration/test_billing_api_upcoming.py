"""The /v1 billing API on SQLite and PostgreSQL: the upcoming invoice and the
invoice list.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from tests.conftest import Tenant
from tests.integration.billing_api_support import (
    FEB_11,
    MAR_1,
    NO_GRACE,
    Api,
    _assert_problem,
    _line_figures,
    _ok,
    _run_counts,
    api,
)

__all__ = ["api"]  # the shared fixture


# -- the upcoming invoice ---------------------------------------------------------------------


def test_the_upcoming_invoice_is_the_invoice_the_run_makes_at_the_period_end(
    api: Api, clock: TestClock
) -> None:
    rate = api.tax_rate(name="Consumption tax", percent="10", country="JP")
    account_id = api.account()
    sub_id = api.subscribe(account_id)
    api.run()
    clock.advance(timedelta(minutes=60))
    api.run()  # February's invoice is finalized
    clock.set(FEB_11)
    _ok(api.post(f"/v1/subscriptions/{sub_id}/changes", {"quantity": 4}))

    [upcoming] = _ok(api.get(f"/v1/accounts/{account_id}/upcoming_invoices"))["data"]
    clock.set(MAR_1)
    made = api.run()
    march = api.invoices()[1]
    clock.set(MAR_1 + timedelta(minutes=60))
    cut = api.run()

    assert (upcoming["object"], upcoming["status"], upcoming["subscription_id"]) == (
        "upcoming_invoice",
        "upcoming",
        sub_id,
    )
    # Mar 1 00:00 in Tokyo, plus the 60 minutes' grace.
    assert upcoming["cut_off"] == "2026-02-28T16:00:00Z"
    # The span its lines bill, as on the invoice it becomes: Feb 11 (the change) .. Apr 1.
    assert upcoming["period"] == {"start": "2026-02-11", "end": "2026-04-01"}
    # Feb 11: 18 of 28 days left. Unused 3 seats: 14,970 x 18/28 = 9,623.57 -> -9,624, tax
    # -962.4 -> -962; 4 seats for them: 19,960 x 18/28 = 12,831.43 -> 12,831, tax 1,283.1 ->
    # 1,283; March in advance: 19,960, tax 1,996.
    assert _line_figures(upcoming) == [
        ("credit", "2026-02-11", -9624, 0, -962, -10586),
        ("charge", "2026-02-11", 12831, 0, 1283, 14114),
        ("recurring", "2026-03-01", 19960, 0, 1996, 21956),
    ]
    assert [li["source_id"] for li in upcoming["lines"]] == [None, None, None]
    # -10,586 + 14,114 + 21,956 = 25,484; taxes -962 + 1,283 + 1,996 = 2,317.
    assert (upcoming["totals"]["total"], upcoming["totals"]["tax"]) == (25484, 2317)
    assert upcoming["tax_summary"][0]["tax_rate_id"] == rate
    assert _run_counts(made) == (1, 1, 0, 0, [])

    def without_sources(doc: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in li.items() if k != "source_id"} for li in doc["lines"]]

    assert without_sources(march) == without_sources(upcoming)
    assert (march["totals"], march["tax_summary"]) == (upcoming["totals"], upcoming["tax_summary"])
    # The invoice's period is the span its lines bill: Feb 11 (the credit) .. Apr 1.
    assert march["period"] == {"start": "2026-02-11", "end": "2026-04-01"}
    assert march["finalize_after"] == upcoming["cut_off"]
    assert _run_counts(cut) == (0, 0, 1, 0, [])
    final = _ok(api.get(f"/v1/invoices/{march['id']}"))
    assert (final["number"], final["finalized_at"]) == ("INV-000002", upcoming["cut_off"])


def test_before_the_first_run_the_upcoming_invoice_is_the_one_the_next_run_makes(
    api: Api,
) -> None:
    account_id = api.account()
    api.subscribe(account_id)

    [upcoming] = _ok(api.get(f"/v1/accounts/{account_id}/upcoming_invoices"))["data"]
    api.run()
    [made] = api.invoices()

    # The run bills February now, alone: 14,970, to be finalized at 15:00 + 60 minutes.
    assert _line_figures(made) == [("recurring", "2026-02-01", 14970, 0, 0, 14970)]
    assert made["finalize_after"] == "2026-01-31T16:00:00Z"
    # ... and that is what the upcoming invoice announced beforehand.
    assert (upcoming["cut_off"], upcoming["period"]) == (made["finalize_after"], made["period"])
    assert _line_figures(upcoming) == _line_figures(made)


def test_the_upcoming_invoices_of_another_organizations_account_are_404(
    api: Api, client: TestClient, other_tenant: Tenant
) -> None:
    theirs = Api(client, other_tenant)
    theirs.catalog()
    account_id = theirs.account()

    response = api.get(f"/v1/accounts/{account_id}/upcoming_invoices")

    _assert_problem(response, 404, "not_found", "account_id")


# -- lists ------------------------------------------------------------------------------------


@NO_GRACE
def test_invoices_filter_by_account_and_status_and_page_with_a_cursor(api: Api) -> None:
    first, second = api.account("Tanaka Shoji"), api.account("Suzuki Denki")
    api.subscribe(first)
    api.subscribe(second)
    api.run()
    ids = [i["id"] for i in api.invoices()]
    _ok(api.post(f"/v1/invoices/{ids[1]}/mark_paid"))

    page_one = _ok(api.get("/v1/invoices", limit=1))
    page_two = _ok(api.get("/v1/invoices", limit=1, cursor=page_one["next_cursor"]))
    of_first = api.invoices(account_id=first)
    paid = api.invoices(status="paid")
    bad_status = api.get("/v1/invoices", status="pending")
    bad_cursor = api.get("/v1/invoices", cursor="nonsense")

    assert ([i["id"] for i in page_one["data"]], page_one["has_more"]) == ([ids[0]], True)
    assert ([i["id"] for i in page_two["data"]], page_two["has_more"]) == ([ids[1]], False)
    assert page_two["next_cursor"] is None
    assert [i["account_id"] for i in of_first] == [first]
    assert [i["id"] for i in paid] == [ids[1]]
    _assert_problem(bad_status, 422, "invalid_value", "status")
    _assert_problem(bad_cursor, 422, "invalid_cursor", "cursor")
