"""Acceptance: the customer opens Invoices, sees the future invoice with its cut-off date, reviews
a past invoice and downloads its PDF, in Chromium against the real server.

The account (New York, USD, en_US) holds Chat Team x 2 ($19.00 a seat a month) from Jan 31,
2026, 10:00 local; its invoice address is in NY, where an 8.875 % sales tax is added. The run
bills the first period, Jan 31 - Feb 28, at once: $38.00 + tax 3,800 x 8.875 % = 337.25 ->
$3.37 = $41.37 (INV-000001). Two weeks on, the future invoice is the renewal on Feb 28, cut
at local midnight plus the 60-minute grace: again $41.37 so far.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from plansmith.application.accounts.accounts import (
    AccountInput,
    AddressInput,
    add_invoice_address,
    open_account,
)
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.invoicing.taxes_and_coupons import TaxRateInput, create_tax_rate
from plansmith.application.organizations.organizations import (
    create_organization,
    create_portal_link,
)
from plansmith.application.subscriptions.lifecycle import OPERATOR
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import SCREENSHOTS, LiveApp

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
TO = "\u2013"  # between the first and last day of a period


def _billed_customer(app: LiveApp) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    terms = {"base_prices": {"USD": 1900}}
    create_plan(uow(), clock, org, PlanInput("chat-team", "Chat Team", "chat", 1, terms, [], True))
    create_tax_rate(uow(), clock, org, TaxRateInput("Sales tax", "8.875", False, "US", "NY"))
    data = AccountInput(
        name="Globex Chat",
        email="billing@globex.example",
        currency="USD",
        time_zone="America/New_York",
        locale="en_US",
    )
    account = open_account(uow(), clock, org, data)
    address = AddressInput(
        name="Globex Corporation",
        line1="350 Fifth Avenue",
        city="New York",
        region="NY",
        postal_code="10118",
        country="US",
    )
    add_invoice_address(uow(), clock, org, account.id, address)
    seats = SubscribeInput(account.id, "chat-team", "month", 2)
    subscribe(uow(), clock, org, seats, actor=OPERATOR)
    run_billing(uow(), clock, org, grace=timedelta(0))
    clock.advance(timedelta(days=14))  # Feb 14: mid-period
    return account


def _portal_url(app: LiveApp, account: Account) -> str:
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, account.organization_id, account.id
    )
    return f"{app.url}/portal/enter?token={link.token}"


def test_customer_reviews_a_past_invoice_and_downloads_its_pdf(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    account = _billed_customer(live_app)
    page.goto(_portal_url(live_app, account))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
    future = page.locator("#future-invoice")
    expect(future).to_contain_text("Upcoming")
    expect(future.locator("dd").nth(0)).to_have_text(f"Feb 28, 2026 {TO} Mar 30, 2026")
    expect(future.locator("dd").nth(2)).to_have_text("Feb 28, 2026")  # the cut-off date
    expect(future).to_contain_text("Total on the cut-off date")
    expect(future.locator("tr", has_text="Total on the cut-off date")).to_contain_text("$41.37")
    past = page.locator("table.past-invoices tbody tr")
    expect(past).to_have_count(1)
    expect(past.first).to_contain_text("Jan 31, 2026")
    expect(past.first).to_contain_text("INV-000001")
    expect(past.first).to_contain_text("$41.37")
    expect(past.first).to_contain_text("Unpaid")
    screenshot("1-invoices")

    past.first.get_by_role("link", name="Review invoice INV-000001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice INV-000001")
    document = page.locator("article.invoice-document")
    expect(document).to_contain_text("Acme Operator")
    expect(document).to_contain_text("Globex Corporation")
    line = document.locator("table.invoice-table tbody tr").first
    expect(line).to_contain_text("Chat Team × 2, month")
    expect(line).to_contain_text(f"Jan 31, 2026 {TO} Feb 27, 2026")
    expect(document.locator("tr.grand")).to_contain_text("$41.37")
    screenshot("2-review")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download PDF").click()
    download = downloading.value
    data = Path(download.path()).read_bytes()

    assert download.suggested_filename == "INV-000001.pdf"
    assert data.startswith(b"%PDF")
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Invoice INV-000001" in text
    assert "Chat Team × 2, month" in text
    assert "Amount due $41.37" in text  # 3,800 + 337 tax = 4,137
    _keep_pdf(data, "customer_reviews_a_past_invoice_and_downloads_its_pdf-3-pdf")


def _keep_pdf(data: bytes, name: str) -> None:
    """Beside the screenshots: the PDF, and its first page as a PNG where poppler is installed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / f"{name}.pdf"
    pdf.write_bytes(data)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is not None:
        png = SCREENSHOTS / name
        subprocess.run(
            [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, png],
            check=True,
        )
