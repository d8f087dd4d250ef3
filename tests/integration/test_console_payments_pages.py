"""The console's payment screens over HTTP: the customer page's payments section, the payments
list with its filters and "more", the failed payments with their next retry; another
organization's objects are not found. The customer is console_payments_support's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.console_payments_support import dunned_customer
from tests.integration.invoice_pages import sign_in_console, text_of


def test_the_customer_page_shows_balance_card_collection_dunning_and_latest_payments(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)

    page = client.get(f"/console/customers/{dunned.billed.account.id}")
    text = text_of(page)

    assert page.status_code == 200
    assert "Balance ¥0" in text
    assert "Visa •••• 4242, 12/2030 sandbox Default" in text
    assert 'value="charge_automatically" selected' in page.text
    print(text)
