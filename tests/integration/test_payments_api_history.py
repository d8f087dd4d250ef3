"""The payment history through /v1 on SQLite and PostgreSQL: the organization's payments
newest first with filters and cursor pages, one payment, an account's history, and another
organization's payments out of reach."""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.payments_api_support import (
    INSUFFICIENT,
    PaymentsApi,
    api,
    other_api,
)

__all__ = ["api", "other_api"]  # the shared fixtures


def _top_ups(api: PaymentsApi, clock: TestClock, account_id: str, amounts: list[int]) -> list[str]:
    made = []
    for amount in amounts:
        body = {"amount": amount, "currency": "JPY"}
        made.append(_ok(api.post(f"/v1/accounts/{account_id}/top_ups", body), 201)["id"])
        clock.advance(timedelta(minutes=1))
    return made


def test_payments_are_listed_newest_first_in_cursor_pages(
    api: PaymentsApi, clock: TestClock
) -> None:
    account_id = api.account()
    api.card(account_id)
    made = _top_ups(api, clock, account_id, [100, 200, 300, 400, 500])

    first = _ok(api.get("/v1/payments", limit=2))
    second = _ok(api.get("/v1/payments", limit=2, cursor=first["next_cursor"]))
    last = _ok(api.get("/v1/payments", limit=2, cursor=second["next_cursor"]))

    assert [p["amount"] for p in first["data"]] == [500, 400]
    assert [p["amount"] for p in second["data"]] == [300, 200]
    assert [p["amount"] for p in last["data"]] == [100]
    assert (first["has_more"], second["has_more"], last["has_more"]) == (True, True, False)
    assert last["next_cursor"] is None
    pages = first["data"] + second["data"] + last["data"]
    assert [p["id"] for p in pages] == list(reversed(made))


def test_payments_filter_by_account_status_and_kind(api: PaymentsApi, clock: TestClock) -> None:
    good = api.account()
    api.card(good)
    bad = api.account("Suzuki Trading")
    api.card(bad, INSUFFICIENT)
    [ok_id] = _top_ups(api, clock, good, [1000])
    declined = api.post(f"/v1/accounts/{bad}/top_ups", {"amount": 2000, "currency": "JPY"})
    assert declined.status_code == 402

    of_bad = _ok(api.get("/v1/payments", account_id=bad))["data"]
    failed = _ok(api.get("/v1/payments", status="failed"))["data"]
    succeeded = _ok(api.get("/v1/payments", status="succeeded", kind="top_up"))["data"]
    refunds = _ok(api.get("/v1/payments", kind="refund"))["data"]

    assert [(p["account_id"], p["status"]) for p in of_bad] == [(bad, "failed")]
    assert [p["id"] for p in failed] == [of_bad[0]["id"]]
    assert [p["id"] for p in succeeded] == [ok_id]
    assert refunds == []


def test_wrong_filters_and_cursors_are_422(api: PaymentsApi) -> None:
    account_id = api.account()

    answers = {
        "status": api.get("/v1/payments", status="paid"),
        "kind": api.get("/v1/payments", kind="charge"),
        "cursor": api.get("/v1/payments", cursor="not-a-cursor"),
        "limit": api.get("/v1/payments", limit=0),
        "account cursor": api.get(f"/v1/accounts/{account_id}/payments", cursor="x"),
    }

    _assert_problem(answers["status"], 422, "invalid_value", "status")
    _assert_problem(answers["kind"], 422, "invalid_value", "kind")
    _assert_problem(answers["cursor"], 422, "invalid_cursor", "cursor")
    _assert_problem(answers["limit"], 422, "invalid_value", "limit")
    _assert_problem(answers["account cursor"], 422, "invalid_cursor", "cursor")


def test_one_payment_and_an_accounts_history(api: PaymentsApi, clock: TestClock) -> None:
    account_id = api.account()
    other = api.account("Suzuki Trading")
    api.card(account_id)
    api.card(other)
    made = _top_ups(api, clock, account_id, [100, 200, 300])
    _top_ups(api, clock, other, [999])

    one = _ok(api.get(f"/v1/payments/{made[0]}"))
    first = _ok(api.get(f"/v1/accounts/{account_id}/payments", limit=2))
    rest = _ok(api.get(f"/v1/accounts/{account_id}/payments", cursor=first["next_cursor"]))

    assert (one["id"], one["amount"], one["created_at"]) == (
        made[0],
        100,
        "2026-01-31T15:00:00Z",
    )
    assert [p["id"] for p in first["data"] + rest["data"]] == list(reversed(made))
    assert (first["has_more"], rest["has_more"]) == (True, False)


def test_another_organizations_payments_are_out_of_reach(
    api: PaymentsApi, other_api: PaymentsApi, clock: TestClock
) -> None:
    theirs = other_api.account()
    other_api.card(theirs)
    [their_payment] = _top_ups(other_api, clock, theirs, [100])

    one = api.get(f"/v1/payments/{their_payment}")
    history = api.get(f"/v1/accounts/{theirs}/payments")
    listed = _ok(api.get("/v1/payments"))
    filtered = _ok(api.get("/v1/payments", account_id=theirs))

    _assert_problem(one, 404, "not_found", "payment_id")
    _assert_problem(history, 404, "not_found", "account_id")
    assert (listed["data"], filtered["data"]) == ([], [])
