"""A void that gives the balance back, on the pages (ADR 0020): the console's confirmation
says what goes back before anything is done; the portal's Balance screen shows it come back
as its own movement, naming the invoice."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.application.invoicing.invoices import void_invoice
from plansmith.application.payments.balance import spread_credit
from plansmith.application.payments.methods import cards
from plansmith.application.payments.top_ups import balance
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.invoice_pages import csrf, sign_in_console, text_of
from tests.integration.portal_payments_support import (
    SUCCESS_TYPED,
    Customer,
    add_card,
    billed_customer,
    post_form,
    signed_in,
)


def _paid_in_part_from_the_balance(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> Customer:
    """INV-000001 (6,160) with 2,000 of it paid from a top-up; the customer signed in."""
    customer = billed_customer(container, tenant)
    org, account_id = tenant.organization_id, customer.account.id
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, account_id)
    body = {"amount": "2,000", "payment_method_id": card.id}
    post_form(client, "/portal/balance", "/portal/balance/top-up", body)
    [paid_in_part] = spread_credit(container.uow(), org, account_id, "JPY", container.clock.now())
    assert paid_in_part.totals.amount_due == 6160 - 2000
    return customer


def test_the_void_confirmation_says_the_balance_paid_goes_back(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = _paid_in_part_from_the_balance(client, container, tenant)
    sign_in_console(client, container, tenant)
    path = f"/console/invoices/{customer.invoice.id}"

    asked = client.post(f"{path}/void", data={"csrf_token": csrf(client.get(path))})

    assert asked.status_code == 200
    text = text_of(asked)
    assert "The ¥2,000 paid from the customer's credit goes back onto their balance." in text
    assert balance(container.uow(), tenant.organization_id, customer.account.id) == ("JPY", 0)


def test_a_voided_invoice_gives_back_on_the_balance_page_what_the_balance_paid(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = _paid_in_part_from_the_balance(client, container, tenant)
    org, account_id = tenant.organization_id, customer.account.id

    void_invoice(container.uow(), container.clock, org, customer.invoice.id)
    text = text_of(client.get("/portal/balance"))

    assert balance(container.uow(), org, account_id) == ("JPY", 2000)
    assert "Your prepaid balance ¥2,000" in text
    assert "Used by invoice INV-000001 -¥2,000" in text
    assert "Given back by a voided invoice · INV-000001 +¥2,000" in text
