"""The Invoices tab warns while a payment is failing (issue: customers see what is coming):
which invoice, how much is owed, since when, when the card is tried again, and where to pay it
or change the card; the warning goes once the invoice is paid, and is not shown before any
attempt failed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.methods import cards
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.invoice_pages import text_of
from tests.integration.portal_payments_support import (
    DECLINE_TYPED,
    SUCCESS_TYPED,
    add_card,
    billed_customer,
    post_form,
    signed_in,
)


def test_a_failing_payment_is_announced_on_the_invoices_tab_until_paid(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, invoice = tenant.organization_id, customer.invoice
    signed_in(client, container, customer.account)
    add_card(client, DECLINE_TYPED)
    assert 'id="failing-payments"' not in client.get("/portal/invoices").text  # nothing failed

    run_collection(container.uow(), container.gateway_for, container.clock, org)
    page = client.get("/portal/invoices").text
    warning = text_of(client.get("/portal/invoices")).split("Future invoice")[0]

    assert 'id="failing-payments" role="alert"' in page
    assert (
        f"We could not collect ￥6,160 for invoice {invoice.number} (failing since Feb 1, 2026)."
        in warning
    )
    assert "We will try your card again on Feb 2, 2026, 12:00:00 AM (Asia/Tokyo)." in warning
    assert f'href="/portal/invoices/{invoice.id}/pay"' in page.split("Future invoice")[0]
    assert 'href="/portal/payment-methods"' in page.split("Future invoice")[0]

    post_form(
        client,
        "/portal/payment-methods",
        "/portal/payment-methods",
        {"number": SUCCESS_TYPED, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
    )
    good = next(c for c in cards(container.uow(), org, customer.account.id) if c.last4 == "4242")
    post_form(client, "/portal/payment-methods", f"/portal/payment-methods/{good.id}/default", {})

    assert 'id="failing-payments"' not in client.get("/portal/invoices").text
