"""The console's payment actions over HTTP: Retry now, Refund and Remove card, each through
its confirmation step (a confirmation of figures that changed is refused, nothing done), and a
customer's collection method; each refusal is shown next to its field with nothing changed.
The customer and its figures are console_payments_support's."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.adapters.clock import TestClock
from plansmith.application.payments.queries import account_payments
from plansmith.bootstrap import Plansmith
from plansmith.domain.payments.payments import Payment
from tests.conftest import Tenant
from tests.integration.console_payments_support import (
    Dunned,
    dunned_customer,
    payment_rows,
)
from tests.integration.invoice_pages import csrf, sign_in_console, status_of, text_of


def _payments_of(container: Plansmith, dunned: Dunned) -> list[Payment]:
    """The account's payments, newest first."""
    with container.uow() as uow:
        return list(uow.payments.of_account(dunned.billed.account.id, before=None, limit=50))


def _field_error(page: Response, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page.text)
    assert found is not None, f"no error next to {field_id}"
    return text_of(Response(200, text=found.group(1)))


def _retry(
    client: TestClient, dunned: Dunned, expect: str | None = None
) -> tuple[Response, Response]:
    url = f"/console/payments/failed/{dunned.billed.second.id}/retry"
    asked = client.post(url, data={"csrf_token": csrf(client.get("/console/payments/failed"))})
    shown = re.search(r'name="expect" value="([^"]*)"', asked.text)
    assert shown is not None
    data = {"csrf_token": csrf(asked), "confirmed": "yes", "expect": expect or shown.group(1)}
    return asked, client.post(url, data=data)


def test_retry_now_confirms_then_charges_and_shows_the_invoice_paid(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    clock.advance(timedelta(hours=1))
    before = payment_rows(container)

    asked, done = _retry(client, dunned)

    assert asked.status_code == 200
    assert (
        "Retry invoice INV-000002 now? Nothing has changed yet. Customer Acme Chat "
        "Invoice INV-000002 Amount due ¥17,003 Failures 1 Card Visa •••• 2016, 12/2030"
    ) in text_of(asked)
    assert done.status_code == 200
    assert "Paid: invoice INV-000002 is paid." in text_of(done)
    assert "Charged ¥17,003 Status Succeeded Amount due ¥0" in text_of(done)
    assert status_of(container, tenant, dunned.billed.second).value == "paid"
    assert [(p.amount, p.status.value) for p in _payments_of(container, dunned)] == [
        (17003, "succeeded"),
        (17003, "failed"),
        (4160, "succeeded"),
        (2000, "succeeded"),
    ]
    assert payment_rows(container) != before
    assert "No invoice is in dunning." in text_of(client.get("/console/payments/failed"))


def test_retry_now_that_is_declined_shows_why_and_counts_the_failure(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant, declines=2)
    sign_in_console(client, container, tenant)

    _asked, done = _retry(client, dunned)

    assert done.status_code == 200
    assert "The payment failed: Your card has insufficient funds." in text_of(done)
    assert "Charged ¥17,003 Status Failed Amount due ¥17,003 Failures 2" in text_of(done)
    assert status_of(container, tenant, dunned.billed.second).value == "open"
    assert "INV-000002 Acme Chat ¥17,003 2" in text_of(client.get("/console/payments/failed"))


def test_retry_now_confirmed_on_figures_that_changed_is_refused_and_nothing_charged(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    before = payment_rows(container)

    _asked, refused = _retry(client, dunned, expect="open.17003.0.17003.0")

    assert refused.status_code == 409
    assert "This changed since it was shown: nothing was done." in text_of(refused)
    assert "Failures 1" in text_of(refused)
    assert payment_rows(container) == before


def _refund(client: TestClient, dunned: Dunned, amount: str, reason: str) -> Response:
    url = f"/console/invoices/{dunned.billed.first.id}/refund"
    token = csrf(client.get(f"/console/invoices/{dunned.billed.first.id}"))
    answer: Response = client.post(
        url, data={"csrf_token": token, "amount": amount, "reason": reason}
    )
    return answer


def _confirm(client: TestClient, asked: Response, url: str, **changes: str) -> Response:
    fields = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', asked.text))
    answer: Response = client.post(url, data={**fields, **changes}, follow_redirects=False)
    return answer


def test_a_refund_confirms_the_split_between_card_and_balance_then_refunds(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    clock.advance(timedelta(hours=1))
    url = f"/console/invoices/{dunned.billed.first.id}/refund"

    asked = _refund(client, dunned, "5000", "Service outage in March")
    done = _confirm(client, asked, url)
    page = client.get(done.headers["location"])
    org, account = tenant.organization_id, dunned.billed.account.id

    assert asked.status_code == 200
    assert (
        "Refund invoice INV-000001 ? Nothing has changed yet. Refund ¥5,000 "
        "Back to the card ¥4,160 To the customer's balance ¥840 Reason Service outage in March "
        "Left to refund ¥6,160"
    ) in text_of(asked)
    assert done.status_code == 303
    assert "Refund recorded: it is listed under Payments below." in text_of(page)
    assert "Refund Invoice ¥4,160 to the balance: ¥840 Succeeded" in text_of(page)
    assert "Left to refund: ¥1,160" in text_of(page)
    newest = _payments_of(container, dunned)[0]
    assert (newest.kind.value, newest.amount, newest.to_balance, newest.status.value) == (
        "refund",
        4160,
        840,
        "succeeded",
    )
    assert account_payments(container.uow(), org, account).balance == 840


def test_a_refund_above_what_is_left_is_refused_next_to_the_amount_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    before = payment_rows(container)

    above = _refund(client, dunned, "6161", "Too much")
    decimals = _refund(client, dunned, "12.5", "Half a yen")
    words = _refund(client, dunned, "ten", "Words")
    zero = _refund(client, dunned, "0", "Nothing")
    no_reason = _refund(client, dunned, "100", " ")

    assert [p.status_code for p in (above, decimals, words, zero, no_reason)] == [422] * 5
    assert _field_error(above, "refund-amount") == (
        "at most ¥6,160 of this invoice is left to refund"
    )
    assert 'value="6161"' in above.text
    assert _field_error(decimals, "refund-amount") == (
        "JPY amounts have at most 0 decimals; 12.5 has more"
    )
    assert _field_error(words, "refund-amount") == "'ten' is not a number like 12.34"
    assert _field_error(zero, "refund-amount") == "a refund is more than 0"
    assert _field_error(no_reason, "refund-reason") == "say why the invoice is refunded"
    assert payment_rows(container) == before


def test_a_refund_confirmed_on_figures_that_changed_is_refused_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    url = f"/console/invoices/{dunned.billed.first.id}/refund"
    asked = _refund(client, dunned, "1000", "Goodwill")
    before = payment_rows(container)

    refused = _confirm(client, asked, url, expect="paid.6160.0.0.9999.4160.0")

    assert refused.status_code == 409
    assert "This changed since it was shown: nothing was done." in text_of(refused)
    assert "Back to the card ¥1,000 To the customer's balance ¥0" in text_of(refused)
    assert payment_rows(container) == before


def test_an_unpaid_invoice_is_not_refunded(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    before = payment_rows(container)
    token = csrf(client.get(f"/console/invoices/{dunned.billed.second.id}"))

    refused = client.post(
        f"/console/invoices/{dunned.billed.second.id}/refund",
        data={"csrf_token": token, "amount": "100", "reason": "Goodwill"},
    )

    assert refused.status_code == 409
    assert (
        "this invoice is open; only a paid invoice is refunded (credit an open one instead)"
        in text_of(refused)
    )
    assert payment_rows(container) == before


def test_removing_a_card_confirms_then_removes_it(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    account = dunned.billed.account.id
    url = f"/console/customers/{account}/cards/remove"
    token = csrf(client.get(f"/console/customers/{account}/payments"))

    before = payment_rows(container)
    asked = client.post(url, data={"csrf_token": token, "method_id": dunned.card.id})
    unchanged = payment_rows(container) == before
    done = _confirm(client, asked, url)
    page = client.get(done.headers["location"])

    assert asked.status_code == 200
    assert (
        "Remove this card? Nothing has changed yet. Customer Acme Chat "
        "Card Visa •••• 2016, 12/2030 Default Visa •••• 4242, 12/2030 becomes the default card."
    ) in text_of(asked)
    assert unchanged
    assert done.status_code == 303
    assert "The card was removed." in text_of(page)
    assert "Visa •••• 4242, 12/2030 sandbox Default Remove…" in text_of(page)
    assert "2016" not in text_of(page).split("Collection")[0]


def test_removing_a_card_not_on_the_account_is_not_found(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    account = dunned.billed.account.id
    token = csrf(client.get(f"/console/customers/{account}/payments"))
    before = payment_rows(container)

    missing = client.post(
        f"/console/customers/{account}/cards/remove",
        data={"csrf_token": token, "method_id": "pm_missing", "confirmed": "yes"},
    )

    assert missing.status_code == 404
    assert payment_rows(container) == before


def _collection(client: TestClient, account: str, method: str, net_days: str) -> Response:
    token = csrf(client.get(f"/console/customers/{account}/payments"))
    answer: Response = client.post(
        f"/console/customers/{account}/collection",
        data={"csrf_token": token, "method": method, "net_days": net_days},
        follow_redirects=False,
    )
    return answer


def test_the_collection_method_is_saved(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    account = dunned.billed.account.id

    done = _collection(client, account, "send_invoice", "14")
    page = client.get(done.headers["location"])
    shown = account_payments(container.uow(), tenant.organization_id, account)

    assert done.status_code == 303
    assert "Saved: the customer's invoices are collected this way from now on." in text_of(page)
    assert 'value="send_invoice" selected' in page.text
    assert 'name="net_days" value="14"' in page.text
    assert (shown.collection_method, shown.net_days) == ("send_invoice", 14)


def test_a_wrong_collection_method_is_refused_next_to_its_field_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    account = dunned.billed.account.id
    before = payment_rows(container)

    too_many = _collection(client, account, "send_invoice", "400")
    words = _collection(client, account, "send_invoice", "two weeks")
    cash = _collection(client, account, "cash", "0")

    assert [p.status_code for p in (too_many, words, cash)] == [422] * 3
    assert _field_error(too_many, "collection-net-days") == (
        "net days are a whole number from 0 to 365"
    )
    assert 'name="net_days" value="400"' in too_many.text
    assert _field_error(words, "collection-net-days") == (
        "net days are a whole number from 0 to 365"
    )
    assert _field_error(cash, "collection-method") == (
        "a collection method is one of charge_automatically, send_invoice"
    )
    assert payment_rows(container) == before
