"""Paying an invoice now and the operator's "retry now" through /v1 on SQLite and PostgreSQL,
with the sandbox gateway's test cards: success, a real decline (402, the failed attempt
recorded and listed), the balance first, and each refusal changing nothing."""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from plansmith.application.kernel.ids import new_id
from plansmith.bootstrap import Plansmith
from plansmith.domain.payments.payments import Payment, PaymentKind, PaymentStatus
from tests.conftest import Tenant
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.payments_api_support import (
    INSUFFICIENT,
    MONTH,
    NO_GRACE,
    TIMEOUT_SUCCEEDED,
    PaymentsApi,
    api,
    other_api,
)
from tests.integration.route_calls import _dump

__all__ = ["api", "other_api"]  # the shared fixtures


@NO_GRACE
def test_paying_an_invoice_charges_the_default_card(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    card = api.card(account_id)

    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))

    assert (paid["object"], paid["invoice"]["status"], paid["invoice"]["paid_at"]) == (
        "invoice_payment",
        "paid",
        "2026-01-31T15:00:00Z",
    )
    assert paid["invoice"]["totals"]["amount_due"] == 0
    payment = paid["payment"]
    assert {
        k: payment[k]
        for k in ("kind", "status", "amount", "currency", "payment_method_id", "invoice_id")
    } == {
        "kind": "payment",
        "status": "succeeded",
        "amount": MONTH,
        "currency": "JPY",
        "payment_method_id": card["id"],
        "invoice_id": invoice["id"],
    }
    assert payment["gateway"] == "sandbox"
    assert payment["gateway_reference"].startswith("ch_sbx_")
    assert api.balances(account_id) == {"receivable": 0, "revenue": -MONTH, "cash": MONTH}


@NO_GRACE
def test_paying_with_a_chosen_card_charges_that_card(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, INSUFFICIENT)
    good = api.card(account_id, "tok_sandbox_success_jcb", make_default=False)

    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay", {"payment_method_id": good["id"]}))

    assert (paid["payment"]["status"], paid["payment"]["payment_method_id"]) == (
        "succeeded",
        good["id"],
    )


@NO_GRACE
def test_a_declined_card_is_402_and_the_failed_attempt_is_listed(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, INSUFFICIENT)

    response = api.post(f"/v1/invoices/{invoice['id']}/pay")

    _assert_problem(response, 402, "payment_declined", "payment_method_id")
    [failed] = _ok(api.get("/v1/payments", account_id=account_id))["data"]
    assert (failed["status"], failed["decline_code"], failed["amount"]) == (
        "failed",
        "insufficient_funds",
        MONTH,
    )
    assert "insufficient_funds" in response.json()["detail"]
    assert failed["id"] in response.json()["detail"]
    assert api.invoice(invoice["id"])["status"] == "open"
    assert api.balances(account_id) == {"receivable": MONTH, "revenue": -MONTH}
    # The customer's own attempt is not a dunning retry: nothing is scheduled.
    assert _ok(api.get("/v1/collections"))["data"] == []


@NO_GRACE
def test_the_balance_pays_first_and_the_card_only_the_rest(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id)
    _ok(api.post(f"/v1/accounts/{account_id}/top_ups", {"amount": 5000, "currency": "JPY"}), 201)

    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))

    assert (paid["invoice"]["totals"]["credit_applied"], paid["payment"]["amount"]) == (
        5000,
        MONTH - 5000,
    )
    assert api.balance(account_id) == 0


@NO_GRACE
def test_an_invoice_the_balance_covers_is_paid_without_the_card(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id)
    body = {"amount": 20000, "currency": "JPY"}
    _ok(api.post(f"/v1/accounts/{account_id}/top_ups", body), 201)

    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))

    assert (paid["invoice"]["status"], paid["payment"]) == ("paid", None)
    assert api.balance(account_id) == 20000 - MONTH


@NO_GRACE
def test_paying_refusals_name_their_field_and_change_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    _, owing = api.open_invoice()
    paid_account, paid = api.open_invoice("Suzuki Trading")
    api.card(paid_account)
    _ok(api.post(f"/v1/invoices/{paid['id']}/pay"))
    before = _dump(container)

    no_card = api.post(f"/v1/invoices/{owing['id']}/pay")
    not_payable = api.post(f"/v1/invoices/{paid['id']}/pay")
    other_card = api.post(
        f"/v1/invoices/{owing['id']}/pay",
        {
            "payment_method_id": _ok(api.get(f"/v1/accounts/{paid_account}/payment_methods"))[
                "data"
            ][0]["id"]
        },
    )
    unknown_field = api.post(f"/v1/invoices/{owing['id']}/pay", {"card": "x"})

    _assert_problem(no_card, 409, "no_payment_method", "payment_method_id")
    _assert_problem(not_payable, 409, "not_payable", "invoice_id")
    _assert_problem(other_card, 404, "not_found", "payment_method_id")
    _assert_problem(unknown_field, 422, "unknown_field", "card")
    assert _dump(container) == before


@NO_GRACE
def test_a_payment_in_flight_is_409_until_the_gateway_answers(
    api: PaymentsApi, container: Plansmith, tenant: Tenant
) -> None:
    account_id, invoice = api.open_invoice()
    card = api.card(account_id, TIMEOUT_SUCCEEDED)
    # A payment written pending whose request never reached the gateway: asked now, the
    # timeout card answers unknown once more.
    pending = Payment(
        id=new_id("pay"),
        organization_id=tenant.organization_id,
        account_id=account_id,
        kind=PaymentKind.PAYMENT,
        status=PaymentStatus.PENDING,
        amount=MONTH,
        currency="JPY",
        idempotency_key=new_id("key"),
        created_at=container.clock.now(),
        invoice_id=invoice["id"],
        payment_method_id=card["id"],
        gateway="sandbox",
    )
    with container.uow() as uow:
        uow.payments.add(pending)
        uow.commit()

    in_flight = api.post(f"/v1/invoices/{invoice['id']}/pay")
    resolved = api.post(f"/v1/invoices/{invoice['id']}/pay")

    _assert_problem(in_flight, 409, "payment_in_progress", "invoice_id")
    # Asked again with the same key, the charge had succeeded: the invoice is paid by it, the
    # answer says so, and no second charge is made.
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["payment"]["id"] == pending.id
    assert resolved.json()["payment"]["status"] == "succeeded"
    assert api.invoice(invoice["id"])["status"] == "paid"
    payments = _ok(api.get("/v1/payments", account_id=account_id))["data"]
    assert [(p["id"], p["status"]) for p in payments] == [(pending.id, "succeeded")]


@NO_GRACE
def test_a_timeout_answers_unknown_and_is_resolved_before_a_new_attempt(
    api: PaymentsApi,
) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, TIMEOUT_SUCCEEDED)

    first = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))
    again = api.post(f"/v1/invoices/{invoice['id']}/pay")

    assert (first["invoice"]["status"], first["payment"]["status"]) == ("open", "unknown")
    # Asked again with the same key, it had succeeded: the answer is that payment, paid once.
    assert again.status_code == 200, again.text
    assert (again.json()["invoice"]["status"], again.json()["payment"]["id"]) == (
        "paid",
        first["payment"]["id"],
    )
    payments = _ok(api.get("/v1/payments", account_id=account_id))["data"]
    assert [(p["id"], p["status"]) for p in payments] == [(first["payment"]["id"], "succeeded")]
    assert api.invoice(invoice["id"])["status"] == "paid"


@NO_GRACE
def test_retry_now_charges_at_once_and_a_failure_counts_in_dunning(
    api: PaymentsApi, clock: TestClock
) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, "tok_sandbox_declines_1")

    failed = _ok(api.post(f"/v1/invoices/{invoice['id']}/retry"))
    clock.advance(timedelta(hours=2))
    succeeded = _ok(api.post(f"/v1/invoices/{invoice['id']}/retry"))

    assert (failed["invoice"]["status"], failed["payment"]["status"]) == ("open", "failed")
    assert failed["payment"]["decline_code"] == "insufficient_funds"
    assert (succeeded["invoice"]["status"], succeeded["payment"]["status"]) == ("paid", "succeeded")


@NO_GRACE
def test_retry_now_of_an_invoice_that_owes_nothing_is_409_and_changes_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    _, invoice = api.open_invoice()
    _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))
    before = _dump(container)

    response = api.post(f"/v1/invoices/{invoice['id']}/retry")

    _assert_problem(response, 409, "not_payable", "invoice_id")
    assert _dump(container) == before


@NO_GRACE
def test_another_organizations_invoice_is_not_found(
    api: PaymentsApi, other_api: PaymentsApi, container: Plansmith
) -> None:
    theirs, their_invoice = other_api.open_invoice()
    other_api.card(theirs)
    before = _dump(container)

    answers = [
        api.post(f"/v1/invoices/{their_invoice['id']}/pay"),
        api.post(f"/v1/invoices/{their_invoice['id']}/retry"),
        api.post(f"/v1/invoices/{their_invoice['id']}/refunds", {"amount": 1, "reason": "x"}),
    ]

    for response in answers:
        _assert_problem(response, 404, "not_found", "invoice_id")
    assert _dump(container) == before


@NO_GRACE
def test_a_pay_sent_again_with_its_idempotency_key_charges_once(api: PaymentsApi) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id)
    path = f"/v1/invoices/{invoice['id']}/pay"
    headers = {**api.headers, "Idempotency-Key": "pay-once"}

    first = api.client.post(path, json={}, headers=headers)
    again = api.client.post(path, json={}, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    payments = _ok(api.get("/v1/payments", account_id=account_id))["data"]
    assert [p["id"] for p in payments] == [first.json()["payment"]["id"]]


def test_a_declined_top_up_sent_again_with_its_key_is_the_same_402(api: PaymentsApi) -> None:
    account_id = api.account()
    api.card(account_id, INSUFFICIENT)
    path = f"/v1/accounts/{account_id}/top_ups"
    headers = {**api.headers, "Idempotency-Key": "top-up-once"}
    body = {"amount": 5000, "currency": "JPY"}

    first = api.client.post(path, json=body, headers=headers)
    again = api.client.post(path, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (402, 402)
    assert again.json() == first.json()
    assert len(_ok(api.get("/v1/payments", account_id=account_id))["data"]) == 1
