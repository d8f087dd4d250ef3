"""Issue 13's console defects in billing, over HTTP: Void and Mark paid first show a
confirmation with the invoice's number, amount and date (the first POST changes nothing);
an invoice state has one name ("Unpaid", never "open" / "Open"); a billing run's errors are
worded one way ("No errors", never "None" beside "0 errors"). The customer and the figures are
described in tests/integration/invoice_pages.py."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.entrypoints.webui.formats import day, money
from tests.conftest import Tenant
from tests.integration.console_catalog_support import _text as text_of
from tests.integration.invoice_pages import (
    act,
    billed_customer,
    csrf,
    sign_in_console,
    snapshot,
    status_of,
)


def shown_of(page: Response) -> str:
    match = re.search(r'name="expect" value="([^"]*)"', page.text)
    assert match, "the page has no confirmation form"
    return match.group(1)


@pytest.mark.parametrize(
    ("action", "heading", "says", "done", "after"),
    [
        (
            "void",
            "Void invoice INV-000002?",
            "Invoice INV-000002 of ¥17,003 is voided on Mar 3, 2026: Acme Chat owes nothing on it",
            "Voided: nothing is owed",
            InvoiceStatus.VOID,
        ),
        (
            "mark-paid",
            "Mark invoice INV-000002 paid?",
            "A payment of ¥17,003 for invoice INV-000002, received on Mar 3, 2026, is recorded",
            "Marked paid: the payment is recorded",
            InvoiceStatus.PAID,
        ),
    ],
)
def test_void_and_mark_paid_first_show_the_number_amount_and_date(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    action: str,
    heading: str,
    says: str,
    done: str,
    after: InvoiceStatus,
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    page = client.get(f"/console/invoices/{billed.second.id}")
    url = f"/console/invoices/{billed.second.id}/{action}"
    before = snapshot(container)

    asked = client.post(url, data={"csrf_token": csrf(page)})
    unchanged = snapshot(container) == before
    confirmed = client.post(
        url,
        data={"csrf_token": csrf(asked), "confirmed": "yes", "expect": shown_of(asked)},
        follow_redirects=False,
    )

    text = text_of(asked)
    assert asked.status_code == 200 and heading in text and says in text
    assert "Nothing has changed yet." in text and "This cannot be undone" in text
    assert "Total ¥17,003" in text and "Amount due ¥17,003" in text and "Date Mar 3, 2026" in text
    assert 'name="confirmed" value="yes"' in asked.text and ">Cancel</a>" in asked.text
    assert unchanged
    assert confirmed.status_code == 303
    assert status_of(container, tenant, billed.second) is after
    assert done in text_of(client.get(confirmed.headers["location"]))


def test_the_first_click_on_void_or_mark_paid_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    token = csrf(client.get(f"/console/invoices/{billed.second.id}"))
    before = snapshot(container)

    answers = [
        client.post(f"/console/invoices/{billed.second.id}/{action}", data={"csrf_token": token})
        for action in ("void", "mark-paid")
    ]
    forged = client.post(
        f"/console/invoices/{billed.second.id}/void",
        data={"csrf_token": "forged", "confirmed": "yes"},
    )

    assert [a.status_code for a in answers] == [200, 200] and forged.status_code == 403
    assert snapshot(container) == before
    assert status_of(container, tenant, billed.second) is InvoiceStatus.OPEN


def test_an_invoice_that_no_longer_allows_it_says_so_instead_of_asking(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    act(client, billed.first, "mark-paid")
    paid = client.get(f"/console/invoices/{billed.first.id}")

    asked = client.post(
        f"/console/invoices/{billed.first.id}/void", data={"csrf_token": csrf(paid)}
    )

    assert asked.status_code == 409 and "Void invoice" not in text_of(asked)
    assert "a paid invoice cannot become void" in text_of(asked)


def test_an_invoice_state_has_one_name_in_the_console(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)

    listed = client.get("/console/invoices")
    tab = client.get("/console/invoices?status=open")
    shown = client.get(f"/console/invoices/{billed.second.id}")

    for page in (listed, tab):
        badges = re.findall(r'<span class="badge invoice-open">([^<]*)</span>', page.text)
        assert badges and set(badges) == {"Unpaid"}
    assert "Status: Unpaid" in text_of(shown)
    tabs = re.findall(r'href="/console/invoices\?status=(\w+)"[^>]*>([^<]*)</a>', listed.text)
    assert dict(tabs)["open"] == "Unpaid" and dict(tabs)["uncollectible"] == "Written off"
    for page in (listed, tab, shown):
        assert not re.search(r">\s*(Open|open)\s*<", page.text)
        assert "status open" not in text_of(page)


def test_a_billing_run_words_its_errors_one_way(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)
    page = client.get("/console/billing-runs")

    ran = client.post("/console/billing-runs", data={"csrf_token": csrf(page)})

    text = text_of(ran)
    assert "Billing run finished: 0 renewed, 0 invoiced, 0 finalized, 0 skipped. No errors." in text
    cell = re.search(r'<td class="run-errors-cell"[^>]*>([^<]*)</td>', ran.text)
    assert cell is not None and cell.group(1) == "No errors"
    assert "0 errors" not in text and ">None<" not in ran.text


def test_in_arabic_the_confirmation_reads_right_to_left_with_amounts_and_dates_in_order(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    client.cookies.set("plansmith_lang", "ar")  # the console's language: the switch's cookie
    page = client.get(f"/console/invoices/{billed.second.id}")

    asked = client.post(
        f"/console/invoices/{billed.second.id}/void", data={"csrf_token": csrf(page)}
    )

    assert asked.status_code == 200 and '<html lang="ar" dir="rtl">' in asked.text
    said = re.search(r'<p id="what-happens">(.*?)</p>', asked.text, re.S)
    assert said is not None
    # Money and the date as Arabic writes them (the page's language), each kept in order.
    for value in ("INV-000002", money(17003, "JPY", "ar"), day(date(2026, 3, 3), "ar")):
        assert f"<bdi>{value}</bdi>" in said.group(1)
