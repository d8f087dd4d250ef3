"""A refund typed in major units of a currency of three decimals (KWD) is read exactly: 1.250
is 1,250 fils; a fourth decimal is refused next to the amount, nothing changed."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.methods import add_card
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from tests.conftest import Tenant
from tests.integration.console_payments_support import SUCCEEDS, card, payment_rows
from tests.integration.invoice_pages import csrf, invoices_of, sign_in_console, text_of


def _paid_kwd_invoice(container: Plansmith, tenant: Tenant) -> Invoice:
    """Gulf Support x 1 at KWD 12.345 a month, paid by a card that succeeds."""
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("support", "Support plans"))
    terms = {"base_prices": {"KWD": 12345}}
    create_plan(uow(), clock, org, PlanInput("gulf", "Gulf Support", "support", 1, terms, [], True))
    account = open_account(
        uow(), clock, org, AccountInput("Gulf Mail", "billing@gulf.example", "KWD", "Asia/Kuwait")
    )
    subscribe(uow(), clock, org, SubscribeInput(account.id, "gulf", "month", 1))
    run_billing(uow(), clock, org, grace=timedelta(0))
    [invoice] = invoices_of(container, org, account)
    gateway = container.gateway_for(org)
    add_card(uow(), gateway, clock, org, account.id, card=card(SUCCEEDS))
    paid = collect_invoice(uow(), gateway, clock, org, invoice.id)
    assert (paid.invoice.status.value, paid.invoice.totals.total) == ("paid", 12345)
    return paid.invoice


def test_a_refund_in_kwd_is_read_exactly_in_fils(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    invoice = _paid_kwd_invoice(container, tenant)
    sign_in_console(client, container, tenant)
    url = f"/console/invoices/{invoice.id}/refund"
    token = csrf(client.get(f"/console/invoices/{invoice.id}"))
    before = payment_rows(container)

    asked = client.post(url, data={"csrf_token": token, "amount": "1.250", "reason": "Outage"})
    too_precise = client.post(
        url, data={"csrf_token": token, "amount": "1.2505", "reason": "Outage"}
    )

    assert asked.status_code == 200
    assert "Refund KWD 1.250 Back to the card KWD 1.250 To the customer's balance KWD 0.000" in (
        text_of(asked)
    )
    assert 'name="expect" value="paid.12345.0.0.12345.12345.0"' in asked.text
    assert too_precise.status_code == 422
    assert "KWD amounts have at most 3 decimals; 1.2505 has more" in text_of(too_precise)
    assert payment_rows(container) == before
