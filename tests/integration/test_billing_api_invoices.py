"""The /v1 billing API on SQLite and PostgreSQL: void, payment, finalizing,
credit notes and customer credit.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe."""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.integration.billing_api_support import (
    MAR_1,
    NO_GRACE,
    Api,
    _assert_problem,
    _ok,
    api,
)
from tests.integration.route_calls import _dump

__all__ = ["api"]  # the shared fixture


# -- void, payment, finalizing ------------------------------------------------------------------


def test_voiding_an_open_invoice_reverses_the_ledger(api: Api, clock: TestClock) -> None:
    api.tax_rate(name="Consumption tax", percent="10", country="JP")
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [draft] = api.invoices()
    opened = _ok(api.post(f"/v1/invoices/{draft['id']}/finalize"))
    posted = api.balances(account_id)
    clock.advance(timedelta(minutes=1))

    voided = _ok(api.post(f"/v1/invoices/{draft['id']}/void"))

    assert (opened["status"], opened["number"]) == ("open", "INV-000001")
    # 14,970 + 10 % tax 1,497 = 16,467 owed.
    assert posted == {"receivable": 16467, "revenue": -14970, "tax_payable": -1497}
    assert (voided["status"], voided["number"], voided["voided_at"]) == (
        "void",
        "INV-000001",
        "2026-01-31T15:01:00Z",
    )
    assert api.balances(account_id) == {"receivable": 0, "revenue": 0, "tax_payable": 0}
    ledger = _ok(api.get(f"/v1/accounts/{account_id}/ledger"))["data"]
    assert [(x["kind"], x["reference"]) for x in ledger] == [
        ("invoice_finalized", draft["id"]),
        ("invoice_voided", draft["id"]),
    ]
    assert [(e["account"], e["amount"], e["amount_formatted"]) for e in ledger[1]["entries"]] == [
        ("receivable", -16467, "-¥16,467"),
        ("revenue", 14970, "¥14,970"),
        ("tax_payable", 1497, "¥1,497"),
    ]


@NO_GRACE
def test_voiding_a_paid_invoice_is_409_and_changes_nothing(api: Api, container: Plansmith) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices()
    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))
    before = _dump(container)

    response = api.post(f"/v1/invoices/{invoice['id']}/void")

    _assert_problem(response, 409, "invalid_invoice_transition", "status")
    assert _dump(container) == before
    assert (paid["status"], paid["paid_at"], paid["totals"]["amount_due"]) == (
        "paid",
        "2026-01-31T15:00:00Z",
        0,
    )
    # The transfer of 14,970 moved the receivable to cash.
    assert api.balances(account_id) == {"receivable": 0, "revenue": -14970, "cash": 14970}


@NO_GRACE
def test_voiding_a_credited_invoice_is_409_and_changes_nothing(
    api: Api, container: Plansmith
) -> None:
    api.subscribe(api.account())
    api.run()
    [invoice] = api.invoices()
    credit = {"amount": 4970, "reason": "Goodwill"}
    _ok(api.post(f"/v1/invoices/{invoice['id']}/credit_notes", credit), 201)
    before = _dump(container)

    response = api.post(f"/v1/invoices/{invoice['id']}/void")

    # Reversing the whole finalization would leave the 4,970 credited as a receivable of
    # -4,970 on a void invoice; what is left (10,000) is credited instead.
    _assert_problem(response, 409, "has_credit_notes", "invoice_id")
    assert _dump(container) == before


@NO_GRACE
def test_an_uncollectible_invoice_is_still_owed_and_can_still_be_paid(
    api: Api, container: Plansmith, clock: TestClock
) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices()
    clock.advance(timedelta(days=40))

    written_off = _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible"))
    owed = api.balances(account_id)
    clock.advance(timedelta(days=1))
    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))

    assert (written_off["status"], written_off["totals"]["amount_due"]) == ("uncollectible", 14970)
    assert owed == {"receivable": 14970, "revenue": -14970}  # nothing posted by the write-off
    assert (paid["status"], paid["paid_at"], paid["totals"]["amount_due"]) == (
        "paid",
        "2026-03-13T15:00:00Z",
        0,
    )
    assert api.balances(account_id) == {"receivable": 0, "revenue": -14970, "cash": 14970}


@NO_GRACE
def test_only_an_open_invoice_can_become_uncollectible_and_nothing_changes(
    api: Api, container: Plansmith
) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices()
    _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))
    before = _dump(container)

    again = api.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible")
    missing = api.post("/v1/invoices/inv_missing/mark_uncollectible")

    _assert_problem(again, 409, "invalid_invoice_transition", "status")
    assert missing.status_code == 404
    assert _dump(container) == before


def test_finalizing_twice_is_409_and_changes_nothing(api: Api, container: Plansmith) -> None:
    api.subscribe(api.account())
    api.run()
    [draft] = api.invoices()
    _ok(api.post(f"/v1/invoices/{draft['id']}/finalize"))
    before = _dump(container)

    response = api.post(f"/v1/invoices/{draft['id']}/finalize")

    _assert_problem(response, 409, "invalid_invoice_transition", "status")
    assert _dump(container) == before


def test_a_draft_cannot_be_paid_or_credited_and_nothing_changes(
    api: Api, container: Plansmith
) -> None:
    api.subscribe(api.account())
    api.run()
    [draft] = api.invoices()
    before = _dump(container)

    paid = api.post(f"/v1/invoices/{draft['id']}/mark_paid")
    credited = api.post(f"/v1/invoices/{draft['id']}/credit_notes", {"amount": 1, "reason": "x"})

    _assert_problem(paid, 409, "invalid_invoice_transition", "status")
    _assert_problem(credited, 409, "not_creditable", "invoice_id")
    assert _dump(container) == before


# -- credit notes and customer credit -----------------------------------------------------------


@NO_GRACE
def test_a_credit_note_leaves_customer_credit_that_the_next_invoice_uses_first(
    api: Api, clock: TestClock
) -> None:
    api.tax_rate(name="Consumption tax", percent="10", country="JP")
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [february] = api.invoices()
    _ok(api.post(f"/v1/invoices/{february['id']}/mark_paid"))

    note = _ok(
        api.post(
            f"/v1/invoices/{february['id']}/credit_notes",
            {"amount": 5500, "reason": "Chat outage on Feb 3"},
        ),
        201,
    )
    credit = api.balances(account_id)["customer_credit"]
    clock.set(MAR_1)
    api.run()

    # The note's tax is its share of the invoice's: 1,497 x 5,500 / 16,467 = 500 exactly.
    assert {k: note[k] for k in ("number", "amount", "tax", "amount_formatted", "reason")} == {
        "number": "CN-000001",
        "amount": 5500,
        "tax": 500,
        "amount_formatted": "¥5,500",
        "reason": "Chat outage on Feb 3",
    }
    assert _ok(api.get(f"/v1/invoices/{february['id']}/credit_notes"))["data"] == [note]
    assert credit == -5500  # owed to the customer
    march = api.invoices()[1]
    # 16,467 for March, of which the 5,500 credit pays first: 10,967 due.
    assert (march["number"], march["status"]) == ("INV-000002", "open")
    assert {k: march["totals"][k] for k in ("total", "credit_applied", "amount_due")} == {
        "total": 16467,
        "credit_applied": 5500,
        "amount_due": 10967,
    }
    assert march["totals"]["credit_applied_formatted"] == "¥5,500"
    balances = api.balances(account_id)
    assert (balances["customer_credit"], balances["receivable"]) == (0, 10967)


@NO_GRACE
def test_a_credit_note_larger_than_the_invoice_is_422_and_changes_nothing(
    api: Api, container: Plansmith
) -> None:
    api.subscribe(api.account())
    api.run()
    [invoice] = api.invoices()
    body = {"amount": 4970, "reason": "Goodwill"}
    _ok(api.post(f"/v1/invoices/{invoice['id']}/credit_notes", body), 201)
    before = _dump(container)

    whole = api.post(f"/v1/invoices/{invoice['id']}/credit_notes", {"amount": 14970, "reason": "x"})
    # 14,970 - 4,970 credited = 10,000 left; one more is too many.
    rest = api.post(f"/v1/invoices/{invoice['id']}/credit_notes", {"amount": 10001, "reason": "x"})
    blank = api.post(f"/v1/invoices/{invoice['id']}/credit_notes", {"amount": 1, "reason": " "})

    _assert_problem(whole, 422, "credit_too_large", "amount")
    _assert_problem(rest, 422, "credit_too_large", "amount")
    _assert_problem(blank, 422, "required", "reason")
    assert _dump(container) == before
    # The open invoice's 4,970 credit went against what it owed: 10,000 still due.
    assert _ok(api.get(f"/v1/invoices/{invoice['id']}"))["totals"]["amount_due"] == 10000
