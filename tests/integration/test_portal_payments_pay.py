"""The portal's "Pay now" (seed 002 9.10.2: choose the payment method, review, press the
payment button), the invoice's due date and next payment time in dunning, and the Payment
history (9.10.3) that lists every top-up, payment and failed attempt with its invoice."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.invoicing.invoices import get_invoice
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.methods import cards
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.invoice_pages import csrf, text_of
from tests.integration.portal_payments_support import (
    DECLINE_TYPED,
    SUCCESS_TYPED,
    add_card,
    billed_customer,
    post_form,
    signed_in,
    state,
)


def _review(client: TestClient, invoice_id: str, method: str) -> Response:
    return post_form(
        client,
        f"/portal/invoices/{invoice_id}/pay",
        f"/portal/invoices/{invoice_id}/pay/review",
        {"method": method},
    )


def _confirm(client: TestClient, invoice_id: str, review: Response) -> Response:
    method = re.search(r'name="method" value="([^"]*)"', review.text)
    expect = re.search(r'name="expect" value="([^"]*)"', review.text)
    assert method and expect, "the review carries no method or amount"
    response: Response = client.post(
        f"/portal/invoices/{invoice_id}/pay",
        data={"csrf_token": csrf(review), "method": method.group(1), "expect": expect.group(1)},
        follow_redirects=False,
    )
    return response


def test_pay_now_with_a_card_reviews_the_amount_and_card_then_pays_the_invoice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, customer.account.id)

    listed = text_of(client.get("/portal/invoices"))
    chosen = client.get(f"/portal/invoices/{invoice.id}/pay")
    review = _review(client, invoice.id, card.id)
    paid = _confirm(client, invoice.id, review)
    shown = text_of(client.get(paid.headers["location"]))

    assert "Unpaid Due Feb 1, 2026 Pay now INV-000001" in listed
    assert chosen.status_code == 200
    assert "Amount due ¥6,160 Due date Feb 1, 2026" in text_of(chosen)
    assert "Amount ¥6,160 Charged to Visa •••• 4242 : ¥6,160 Pay ¥6,160" in text_of(review)
    assert paid.status_code == 303
    assert paid.headers["location"] == f"/portal/invoices/{invoice.id}?done=paid"
    assert get_invoice(container.uow(), org, invoice.id).status.value == "paid"
    assert "The invoice is paid." in shown and "Pay now" not in shown
    history = text_of(client.get("/portal/payments"))
    assert "Invoice payment ¥6,160 Visa •••• 4242 Succeeded INV-000001" in history


def test_pay_now_with_the_balance_when_it_covers_the_invoice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, customer.account.id)
    post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": "10000", "payment_method_id": card.id},
    )

    chosen = client.get(f"/portal/invoices/{invoice.id}/pay")
    review = _review(client, invoice.id, "balance")
    paid = _confirm(client, invoice.id, review)

    assert 'value="balance" checked' in chosen.text
    assert "Amount ¥6,160 From your balance ¥6,160 Pay ¥6,160" in text_of(review)
    assert paid.headers["location"] == f"/portal/invoices/{invoice.id}?done=paid"
    assert get_invoice(container.uow(), org, invoice.id).status.value == "paid"
    balance_page = text_of(client.get("/portal/balance"))
    assert "Your prepaid balance ¥3,840" in balance_page
    assert "Used by invoice INV-000001 -¥6,160" in balance_page
    assert "Top-up +¥10,000" in balance_page


def test_a_declined_pay_now_shows_the_reason_and_leaves_the_invoice_open(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, DECLINE_TYPED)
    (card,) = cards(container.uow(), org, customer.account.id)
    balance, kept, payments, ledger = state(container, org, customer.account)

    declined = _confirm(client, invoice.id, _review(client, invoice.id, card.id))

    assert declined.status_code == 402
    assert "Your card has insufficient funds." in text_of(declined)
    assert get_invoice(container.uow(), org, invoice.id).status.value == "open"
    assert state(container, org, customer.account) == (balance, kept, payments + 1, ledger)
    history = text_of(client.get("/portal/payments"))
    assert (
        "Invoice payment ¥6,160 Visa •••• 9995 Failed Your card has insufficient funds. INV-000001"
    ) in history


def test_the_balance_is_not_offered_when_it_does_not_cover_and_is_refused_if_posted(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    before = state(container, org, customer.account)

    chosen = client.get(f"/portal/invoices/{invoice.id}/pay")
    refused = _review(client, invoice.id, "balance")

    assert 'value="balance"' not in chosen.text
    assert refused.status_code == 409
    assert "Your balance no longer covers this invoice; choose a card." in text_of(refused)
    assert state(container, org, customer.account) == before


def test_an_amount_changed_since_the_review_is_refused_and_nothing_is_charged(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, customer.account.id)
    before = state(container, org, customer.account)

    moved = post_form(
        client,
        f"/portal/invoices/{invoice.id}/pay",
        f"/portal/invoices/{invoice.id}/pay",
        {"method": card.id, "expect": "6000"},
    )

    assert moved.status_code == 409
    assert "What the invoice owes changed since you reviewed it" in text_of(moved)
    assert state(container, org, customer.account) == before


def test_a_paid_invoice_has_nothing_to_pay_and_another_accounts_invoice_is_not_found(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    other = billed_customer(container, tenant, "Other Co")
    org = tenant.organization_id
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, customer.account.id)
    _confirm(client, customer.invoice.id, _review(client, customer.invoice.id, card.id))
    before = state(container, org, other.account)

    again = client.get(f"/portal/invoices/{customer.invoice.id}/pay")
    theirs = client.get(f"/portal/invoices/{other.invoice.id}/pay")
    theirs_paid = post_form(
        client,
        "/portal/payments",
        f"/portal/invoices/{other.invoice.id}/pay",
        {"method": card.id, "expect": "6160"},
    )

    assert again.status_code == 200
    assert "This invoice owes nothing; there is nothing to pay." in text_of(again)
    assert (theirs.status_code, theirs_paid.status_code) == (404, 404)
    assert get_invoice(container.uow(), org, other.invoice.id).status.value == "open"
    assert state(container, org, other.account) == before
    assert other.invoice.number not in client.get("/portal/payments").text.replace(
        customer.invoice.number or "", ""
    )


def test_an_invoice_in_dunning_shows_its_next_payment_time(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, DECLINE_TYPED)

    run = run_collection(container.uow(), container.gateway_for, container.clock, org)
    listed = text_of(client.get("/portal/invoices"))
    review = text_of(client.get(f"/portal/invoices/{invoice.id}"))

    assert (run.attempted, run.failed) == (1, 1)
    # the first retry: a day after the failure, at its local wall time (Feb 1 00:00 Tokyo)
    assert "Next payment time: Feb 2, 2026, 12:00:00 AM (Asia/Tokyo)" in listed
    assert "Next payment time Feb 2, 2026, 12:00:00 AM (Asia/Tokyo)" in review
    assert "Pay now" in review


def test_a_card_made_default_during_dunning_pays_the_invoice_at_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, DECLINE_TYPED)
    run_collection(container.uow(), container.gateway_for, container.clock, org)
    post_form(  # a good card, not made the default yet: nothing is retried
        client,
        "/portal/payment-methods",
        "/portal/payment-methods",
        {"number": SUCCESS_TYPED, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
    )
    good = next(c for c in cards(container.uow(), org, customer.account.id) if c.last4 == "4242")
    assert get_invoice(container.uow(), org, invoice.id).status.value == "open"

    made = post_form(
        client, "/portal/payment-methods", f"/portal/payment-methods/{good.id}/default", {}
    )

    assert made.headers["location"] == "/portal/payment-methods?done=default_changed"
    assert get_invoice(container.uow(), org, invoice.id).status.value == "paid"
    history = text_of(client.get("/portal/payments"))
    assert "Invoice payment ¥6,160 Visa •••• 4242 Succeeded INV-000001" in history
    assert "Invoice payment ¥6,160 Visa •••• 9995 Failed" in history
    assert "Next payment time" not in text_of(client.get("/portal/invoices"))
