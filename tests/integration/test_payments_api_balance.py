"""The prepaid balance through /v1 on SQLite and PostgreSQL: top-ups (and their refusals, a
real decline among them), the balance with its movements, refunds of a paid invoice to the card
and to the balance, and a credit note that pays the account's open invoices first."""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.payments_api_support import (
    INSUFFICIENT,
    MONTH,
    NO_GRACE,
    PaymentsApi,
    api,
    count,
    other_api,
)
from tests.integration.route_calls import _dump

__all__ = ["api", "other_api"]  # the shared fixtures


def test_a_top_up_is_charged_and_put_on_the_balance(api: PaymentsApi, clock: TestClock) -> None:
    account_id = api.account()
    card = api.card(account_id)
    path = f"/v1/accounts/{account_id}/top_ups"

    first = _ok(api.post(path, {"amount": 5000, "currency": "JPY"}), 201)
    clock.advance(timedelta(minutes=1))
    second = _ok(api.post(path, {"amount": 700, "currency": "JPY"}), 201)
    balance = _ok(api.get(f"/v1/accounts/{account_id}/balance"))

    assert {k: first[k] for k in ("object", "kind", "status", "amount", "currency")} == {
        "object": "payment",
        "kind": "top_up",
        "status": "succeeded",
        "amount": 5000,
        "currency": "JPY",
    }
    assert (first["payment_method_id"], first["invoice_id"]) == (card["id"], None)
    assert {k: balance[k] for k in ("object", "account_id", "currency", "balance")} == {
        "object": "balance",
        "account_id": account_id,
        "currency": "JPY",
        "balance": 5700,
    }
    assert [(m["kind"], m["reference"], m["amount"], m["at"]) for m in balance["movements"]] == [
        ("top_up", second["id"], 700, "2026-01-31T15:01:00Z"),
        ("top_up", first["id"], 5000, "2026-01-31T15:00:00Z"),
    ]


def test_a_declined_top_up_is_402_and_the_balance_stays(api: PaymentsApi) -> None:
    account_id = api.account()
    api.card(account_id, INSUFFICIENT)

    response = api.post(f"/v1/accounts/{account_id}/top_ups", {"amount": 5000, "currency": "JPY"})

    _assert_problem(response, 402, "payment_declined", "payment_method_id")
    assert api.balance(account_id) == 0
    [failed] = _ok(api.get(f"/v1/accounts/{account_id}/payments"))["data"]
    assert (failed["kind"], failed["status"], failed["decline_code"]) == (
        "top_up",
        "failed",
        "insufficient_funds",
    )


def test_top_up_refusals_name_their_field_and_change_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    without_card = api.account()
    account_id = api.account("Suzuki Trading")
    api.card(account_id)
    path = f"/v1/accounts/{account_id}/top_ups"
    before = _dump(container)

    no_card = api.post(f"/v1/accounts/{without_card}/top_ups", {"amount": 1, "currency": "JPY"})
    other_currency = api.post(path, {"amount": 5000, "currency": "USD"})
    too_much = api.post(path, {"amount": 1_000_001, "currency": "JPY"})
    zero = api.post(path, {"amount": 0, "currency": "JPY"})
    float_amount = api.post(path, {"amount": 50.0, "currency": "JPY"})
    unknown_card = api.post(
        path, {"amount": 5000, "currency": "JPY", "payment_method_id": "pm_nothing"}
    )

    _assert_problem(no_card, 409, "no_payment_method", "payment_method_id")
    _assert_problem(other_currency, 422, "currency_mismatch", "currency")
    _assert_problem(too_much, 422, "top_up_out_of_range", "amount")
    _assert_problem(zero, 422, "top_up_out_of_range", "amount")
    _assert_problem(float_amount, 422, "invalid_value", "amount")
    _assert_problem(unknown_card, 409, "no_payment_method", "payment_method_id")
    assert _dump(container) == before


@NO_GRACE
def test_a_refund_goes_to_the_card_up_to_what_it_paid_the_rest_to_the_balance(
    api: PaymentsApi,
) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id)
    path = f"/v1/accounts/{account_id}/top_ups"
    _ok(api.post(path, {"amount": 4970, "currency": "JPY"}), 201)
    _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))  # 4,970 from the balance, 10,000 card
    refunds = f"/v1/invoices/{invoice['id']}/refunds"

    first = _ok(api.post(refunds, {"amount": 8000, "reason": "Outage"}), 201)
    second = _ok(api.post(refunds, {"amount": 5000, "reason": "Outage"}), 201)

    assert {k: first[k] for k in ("kind", "status", "amount", "to_balance", "invoice_id")} == {
        "kind": "refund",
        "status": "succeeded",
        "amount": 8000,
        "to_balance": 0,
        "invoice_id": invoice["id"],
    }
    assert first["credit_note_id"].startswith("cn_")
    assert first["gateway_reference"].startswith("re_sbx_")
    # The card paid 10,000: 2,000 of it is left for the card, the other 3,000 to the balance.
    assert (second["amount"], second["to_balance"]) == (2000, 3000)
    assert api.balance(account_id) == 3000
    notes = _ok(api.get(f"/v1/invoices/{invoice['id']}/credit_notes"))["data"]
    assert {n["id"] for n in notes} == {first["credit_note_id"], second["credit_note_id"]}


@NO_GRACE
def test_refund_refusals_name_their_field_and_change_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id, invoice = api.open_invoice()
    _, owing = api.open_invoice("Suzuki Trading")
    api.card(account_id)
    _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))
    refunds = f"/v1/invoices/{invoice['id']}/refunds"
    before = _dump(container)

    too_much = api.post(refunds, {"amount": MONTH + 1, "reason": "Outage"})
    zero = api.post(refunds, {"amount": 0, "reason": "Outage"})
    no_reason = api.post(refunds, {"amount": 100, "reason": " "})
    open_invoice = api.post(f"/v1/invoices/{owing['id']}/refunds", {"amount": 1, "reason": "x"})

    _assert_problem(too_much, 422, "refund_too_large", "amount")
    _assert_problem(zero, 422, "invalid_value", "amount")
    _assert_problem(no_reason, 422, "required", "reason")
    _assert_problem(open_invoice, 409, "not_refundable", "invoice_id")
    assert _dump(container) == before


@NO_GRACE
def test_a_credit_note_pays_the_accounts_other_open_invoices_first(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.subscribe_other_family(account_id)
    api.run()
    credited, owing = api.invoices(account_id=account_id)
    _ok(api.post(f"/v1/invoices/{credited['id']}/mark_paid"))
    credits = count(container, "credit_notes")

    note = _ok(
        api.post(
            f"/v1/invoices/{credited['id']}/credit_notes", {"amount": 6000, "reason": "Outage"}
        ),
        201,
    )

    assert (note["amount"], count(container, "credit_notes")) == (6000, credits + 1)
    # The 6,000 went on the balance, and from there at once to the other open invoice.
    assert api.invoice(owing["id"])["totals"]["amount_due"] == owing["totals"]["amount_due"] - 6000
    assert api.balance(account_id) == 0


def test_the_balance_of_another_organizations_account_is_not_found(
    api: PaymentsApi, other_api: PaymentsApi, container: Plansmith
) -> None:
    theirs = other_api.account()
    other_api.card(theirs)
    before = _dump(container)

    answers = [
        api.get(f"/v1/accounts/{theirs}/balance"),
        api.post(f"/v1/accounts/{theirs}/top_ups", {"amount": 100, "currency": "JPY"}),
    ]

    for response in answers:
        _assert_problem(response, 404, "not_found", "account_id")
    assert _dump(container) == before
