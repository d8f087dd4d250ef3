"""The console's payment screens over HTTP: the customer page's payments section, the payments
list with its filters and "more", the failed payments with their next retry, and the invoice
page's payments; another organization's objects are not found. The customer and its figures
are console_payments_support's."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.payments.settings import set_dunning_policy
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.console_payments_support import dunned_customer, payment_rows
from tests.integration.invoice_pages import (
    billed_customer,
    sign_in_console,
    text_of,
)
from tests.integration.statement_budgets_support import PAGE, counted


def rows_of(page: Response) -> str:
    """The payments table's rows as read (the filters above it left out)."""
    return text_of(page).split("Amount Status", 1)[1]


def test_the_customer_page_shows_the_balance_and_leads_to_the_payments(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    account = dunned.billed.account.id

    page = client.get(f"/console/customers/{account}")

    assert page.status_code == 200
    assert "Payments Balance ¥0 Payments, cards and collection" in text_of(page)
    assert f'href="/console/customers/{account}/payments"' in page.text


def test_the_customer_payments_page_shows_balance_card_collection_dunning_and_payments(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)

    page = client.get(f"/console/customers/{dunned.billed.account.id}/payments")
    text = text_of(page)

    assert page.status_code == 200
    assert "Acme Chat: payments Balance and cards Balance ¥0 Overdue state None" in text
    assert (
        "Visa •••• 2016, 12/2030 sandbox Default Remove… Visa •••• 4242, 12/2030 sandbox — Remove…"
    ) in text
    assert 'value="charge_automatically" selected' in page.text
    assert 'name="net_days" value="0"' in page.text
    assert (
        "Invoices in dunning Invoice Amount due Failures Next retry Overdue state "
        "INV-000002 ¥17,003 1 Mar 3, 2026, 5:00:00 PM (UTC) In dunning"
    ) in text
    assert (
        "Latest payments Date Kind Amount Status "
        "Mar 2, 2026, 5:00:00 PM (UTC) Invoice payment Invoice ¥17,003 Failed "
        "Your card has insufficient funds. "
        "Mar 2, 2026, 4:00:00 PM (UTC) Invoice payment Invoice ¥4,160 Succeeded "
        "Mar 2, 2026, 3:00:00 PM (UTC) Top-up ¥2,000 Succeeded"
    ) in text


def test_the_customer_payments_page_shows_the_overdue_state_of_the_policy_stages(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    set_dunning_policy(
        container.uow(),
        container.clock,
        tenant.organization_id,
        {
            "stages": [
                {"after_days": 0, "action": "notify"},
                {"after_days": 2, "action": "restrict"},
            ]
        },
    )
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)

    text = text_of(client.get(f"/console/customers/{dunned.billed.account.id}/payments"))

    assert "Balance ¥0 Overdue state Warning" in text
    assert "INV-000002 ¥17,003 1 Mar 3, 2026, 5:00:00 PM (UTC) Warning" in text


def test_the_customer_payments_page_without_payments_says_so(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)

    text = text_of(client.get(f"/console/customers/{billed.account.id}/payments"))

    assert "Balance ¥0 Overdue state None" in text
    assert "No card yet. The customer adds one in the portal." in text
    assert "No invoice is in dunning." in text
    assert "No payments yet." in text


def test_the_payments_page_lists_newest_first_and_filters_by_status_and_kind(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)

    every = text_of(client.get("/console/payments"))
    failed = rows_of(client.get("/console/payments?status=failed"))
    top_ups = rows_of(client.get("/console/payments?kind=top_up"))
    none = text_of(client.get("/console/payments?status=pending&kind=refund"))
    wrong = client.get("/console/payments?status=settled")
    wrong_kind = client.get("/console/payments?kind=gift")

    assert (
        "Date Customer Kind Invoice Method Amount Status "
        "Mar 2, 2026, 5:00:00 PM (UTC) Acme Chat Invoice payment INV-000002 "
        "Visa •••• 2016, 12/2030 ¥17,003 Failed Your card has insufficient funds. "
        "Mar 2, 2026, 4:00:00 PM (UTC) Acme Chat Invoice payment INV-000001 "
        "Visa •••• 4242, 12/2030 ¥4,160 Succeeded "
        "Mar 2, 2026, 3:00:00 PM (UTC) Acme Chat Top-up — Visa •••• 4242, 12/2030 ¥2,000 "
        "Succeeded"
    ) in every
    assert "INV-000002" in failed and "INV-000001" not in failed and "Top-up" not in failed
    assert "Top-up — Visa •••• 4242, 12/2030 ¥2,000" in top_ups and "INV-0000" not in top_ups
    assert "No payments match." in none
    assert wrong.status_code == 422
    assert "'settled' is not a payment status" in text_of(wrong)
    assert wrong_kind.status_code == 422
    assert "'gift' is not a kind of payment" in text_of(wrong_kind)


def test_the_payments_page_pages_on_with_more(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    from plansmith.entrypoints.console import payment_routes

    dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    size = payment_routes.PAGE_SIZE
    payment_routes.PAGE_SIZE = 2
    try:
        first = client.get("/console/payments")
        more = re.search(r'href="(/console/payments\?[^"]+)">More payments', first.text)
        assert more is not None
        second = client.get(more.group(1).replace("&amp;", "&"))
    finally:
        payment_routes.PAGE_SIZE = size

    assert "¥17,003" in rows_of(first) and "¥4,160" in rows_of(first)
    assert "Top-up" not in rows_of(first)
    assert "Top-up" in rows_of(second) and "¥17,003" not in rows_of(second)
    assert "More payments" not in second.text


def test_the_failed_payments_page_lists_invoices_in_dunning_with_their_next_retry(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)

    page = client.get("/console/payments/failed")
    text = text_of(page)

    assert page.status_code == 200
    assert "Times are in UTC" in text
    assert (
        "Invoice Customer Amount due Failures Next retry Overdue state Actions "
        "INV-000002 Acme Chat ¥17,003 1 Mar 3, 2026, 5:00:00 PM (UTC) "
        "Mar 4, 2026, 2:00:00 AM (Asia/Tokyo) In dunning Retry now…"
    ) in text
    assert f'action="/console/payments/failed/{dunned.billed.second.id}/retry"' in page.text


def test_the_failed_payments_page_without_dunning_says_so(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)

    text = text_of(client.get("/console/payments/failed"))

    assert "No invoice is in dunning." in text


def test_the_invoice_page_shows_its_payments_and_the_refund_form_when_paid(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)

    paid = client.get(f"/console/invoices/{dunned.billed.first.id}")
    open_ = client.get(f"/console/invoices/{dunned.billed.second.id}")

    assert (
        "Payments Date Kind Amount Status Mar 2, 2026, 4:00:00 PM (UTC) Invoice payment Invoice "
        "¥4,160 Succeeded Refund Left to refund: ¥6,160"
    ) in text_of(paid)
    assert f'action="/console/invoices/{dunned.billed.first.id}/refund"' in paid.text
    assert "In dunning: 1 failed attempt. Next retry: Mar 3, 2026, 5:00:00 PM (UTC)" in text_of(
        open_
    )
    assert "/refund" not in open_.text


def test_another_organizations_payment_objects_are_not_found(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = dunned_customer(container, other_tenant)
    sign_in_console(client, container, tenant)
    before = payment_rows(container)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/payments").text)
    assert token is not None
    csrf = token.group(1)
    account, first, second = (
        theirs.billed.account.id,
        theirs.billed.first.id,
        theirs.billed.second.id,
    )

    answers = [
        client.get(f"/console/customers/{account}"),
        client.get(f"/console/customers/{account}/payments"),
        client.get(f"/console/invoices/{first}"),
        client.post(f"/console/payments/failed/{second}/retry", data={"csrf_token": csrf}),
        client.post(
            f"/console/invoices/{first}/refund",
            data={"csrf_token": csrf, "amount": "100", "reason": "goodwill"},
        ),
        client.post(
            f"/console/customers/{account}/cards/remove",
            data={"csrf_token": csrf, "method_id": theirs.card.id},
        ),
        client.post(
            f"/console/customers/{account}/collection",
            data={"csrf_token": csrf, "method": "send_invoice", "net_days": "14"},
        ),
    ]
    listed = text_of(client.get("/console/payments")) + text_of(
        client.get("/console/payments/failed")
    )

    assert [a.status_code for a in answers] == [404] * 7
    assert "Acme Chat" not in listed and "No payments yet." in listed
    assert payment_rows(container) == before


def test_the_payment_pages_with_payments_in_them_keep_the_statement_budget(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    dunned = dunned_customer(container, tenant)
    sign_in_console(client, container, tenant)
    account, invoice = dunned.billed.account.id, dunned.billed.first.id
    pages = (
        "/console/payments",
        "/console/payments/failed",
        f"/console/customers/{account}",
        f"/console/customers/{account}/payments",
        f"/console/invoices/{invoice}",
        "/console/settings/dunning",
    )
    counts = {}
    for path in pages:
        with counted(container) as found:
            assert client.get(path).status_code == 200
        counts[path] = len(found.statements)

    # the customer page reads the usage section besides (its exception in the route budgets)
    budgets = {f"/console/customers/{account}": PAGE}
    assert {path: n for path, n in counts.items() if n > budgets.get(path, PAGE)} == {}
