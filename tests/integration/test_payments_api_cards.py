"""The /v1 payment methods of an account on SQLite and PostgreSQL, through the sandbox gateway:
adding a card by token or typed, listing, choosing the default, removing, and every refusal
changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime

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


def test_adding_a_card_by_token_shows_only_what_may_be_shown(api: PaymentsApi) -> None:
    account_id = api.account()

    card = api.card(account_id, "tok_sandbox_success_mastercard")

    assert card["id"].startswith("pm_")
    assert {k: card[k] for k in ("object", "account_id", "gateway", "gateway_id")} == {
        "object": "payment_method",
        "account_id": account_id,
        "gateway": "sandbox",
        "gateway_id": None,  # the sandbox's token is never shown
    }
    assert (card["brand"], card["last4"], card["exp_month"], card["is_default"]) == (
        "mastercard",
        "4444",
        12,
        True,
    )
    # December five years after it was saved, by the gateway's own (wall) clock.
    assert card["exp_year"] == datetime.now(UTC).year + 5
    assert card["retried"] == []
    assert "tok_" not in str(card)


def test_a_typed_card_is_tokenized_and_its_number_is_not_kept(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id = api.account()
    body = {
        "card": {"number": "3530 1113 3330 0000", "exp_month": 4, "exp_year": 2031, "cvc": "123"}
    }

    card = _ok(api.post(f"/v1/accounts/{account_id}/payment_methods", body), 201)

    assert (card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == (
        "jcb",
        "0000",
        4,
        2031,
    )
    assert "3530111333300000" not in str(_dump(container))


def test_a_wrong_typed_card_names_its_field_and_changes_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id = api.account()
    path = f"/v1/accounts/{account_id}/payment_methods"
    card = {"number": "4242 4242 4242 4241", "exp_month": 4, "exp_year": 2031, "cvc": "123"}
    before = _dump(container)

    wrong_number = api.post(path, {"card": card})
    wrong_cvc = api.post(path, {"card": {**card, "number": "4242424242424242", "cvc": "12"}})
    both = api.post(path, {"card": card, "source": "tok_sandbox_success"})
    neither = api.post(path, {})

    _assert_problem(wrong_number, 422, "card_number_invalid", "card.number")
    _assert_problem(wrong_cvc, 422, "card_cvc_invalid", "card.cvc")
    _assert_problem(both, 422, "invalid_value", "card")
    _assert_problem(neither, 422, "invalid_value", "source")
    assert _dump(container) == before


def test_an_unknown_token_is_refused_and_changes_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id = api.account()
    before = count(container, "payment_methods")

    response = api.post(f"/v1/accounts/{account_id}/payment_methods", {"source": "tok_nothing"})

    _assert_problem(response, 422, "invalid_value", "source")
    assert count(container, "payment_methods") == before


def test_cards_list_the_default_first_and_the_default_can_change(api: PaymentsApi) -> None:
    account_id = api.account()
    first = api.card(account_id)
    second = api.card(account_id, "tok_sandbox_success_amex", make_default=False)
    path = f"/v1/accounts/{account_id}/payment_methods"

    listed = _ok(api.get(path))["data"]
    chosen = _ok(api.post(f"{path}/{second['id']}/default"))
    relisted = _ok(api.get(path))["data"]

    assert [(c["id"], c["is_default"]) for c in listed] == [
        (first["id"], True),
        (second["id"], False),
    ]
    assert (chosen["id"], chosen["is_default"], chosen["brand"]) == (second["id"], True, "amex")
    assert [(c["id"], c["is_default"]) for c in relisted] == [
        (second["id"], True),
        (first["id"], False),
    ]


def test_removing_the_default_card_makes_the_other_one_the_default(api: PaymentsApi) -> None:
    account_id = api.account()
    first = api.card(account_id)
    second = api.card(account_id, "tok_sandbox_success_jcb")  # the default now
    path = f"/v1/accounts/{account_id}/payment_methods"

    removed = _ok(api.delete(f"{path}/{second['id']}"))
    again = api.delete(f"{path}/{second['id']}")

    assert (removed["id"], removed["brand"]) == (second["id"], "jcb")
    assert [(c["id"], c["is_default"]) for c in _ok(api.get(path))["data"]] == [(first["id"], True)]
    _assert_problem(again, 404, "not_found", "payment_method_id")


def test_another_organizations_account_and_card_are_not_found(
    api: PaymentsApi, other_api: PaymentsApi, container: Plansmith
) -> None:
    theirs = other_api.account()
    their_card = other_api.card(theirs)
    mine = api.account()
    before = _dump(container)

    answers = [
        api.post(f"/v1/accounts/{theirs}/payment_methods", {"source": "tok_sandbox_success"}),
        api.get(f"/v1/accounts/{theirs}/payment_methods"),
        api.post(f"/v1/accounts/{theirs}/payment_methods/{their_card['id']}/default"),
        api.post(f"/v1/accounts/{mine}/payment_methods/{their_card['id']}/default"),
        api.delete(f"/v1/accounts/{mine}/payment_methods/{their_card['id']}"),
    ]

    fields = [
        "account_id",
        "account_id",
        "payment_method_id",
        "payment_method_id",
        "payment_method_id",
    ]
    for response, field in zip(answers, fields, strict=True):
        _assert_problem(response, 404, "not_found", field)
    assert _dump(container) == before


@NO_GRACE
def test_a_new_default_card_retries_the_invoices_in_dunning_at_once(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, INSUFFICIENT)
    failed = _ok(api.post(f"/v1/invoices/{invoice['id']}/retry"))  # dunning starts
    spare = api.card(account_id, "tok_sandbox_success_jcb", make_default=False)

    chosen = _ok(api.post(f"/v1/accounts/{account_id}/payment_methods/{spare['id']}/default"))

    assert (spare["retried"], failed["payment"]["status"]) == ([], "failed")
    [retried] = chosen["retried"]
    assert (retried["invoice_id"], retried["status"], retried["payment_method_id"]) == (
        invoice["id"],
        "succeeded",
        spare["id"],
    )
    assert api.invoice(invoice["id"])["status"] == "paid"
    assert _ok(api.get("/v1/collections"))["data"] == []


@NO_GRACE
def test_adding_a_default_card_retries_the_invoices_in_dunning_at_once(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, INSUFFICIENT)
    _ok(api.post(f"/v1/invoices/{invoice['id']}/retry"))

    added = api.card(account_id, "tok_sandbox_success_mastercard")

    [retried] = added["retried"]
    assert (retried["invoice_id"], retried["status"], retried["amount"]) == (
        invoice["id"],
        "succeeded",
        MONTH,
    )
    assert api.invoice(invoice["id"])["status"] == "paid"
