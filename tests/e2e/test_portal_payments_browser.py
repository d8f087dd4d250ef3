"""Acceptance for issue 14's portal payment screens, in Chromium on a phone (390 × 844): add a
sandbox card, top up, pay an open invoice, and see both in the payment history; a declined
card's top-up shows the reason beside the form and the balance stays as it was; no page
scrolls sideways.

The account (New York, USD) holds Chat Team × 2 at $19.00 from Jan 31, 2026: the billing run
issues INV-000001 for $38.00, open.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import (
    create_organization,
    create_portal_link,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import TIMEOUT_MS, LiveApp
from tests.e2e.test_portal_defects_browser import _shots

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _billed_customer(app: LiveApp) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    terms = {"base_prices": {"USD": 1900}}
    create_plan(uow(), clock, org, PlanInput("chat-team", "Chat Team", "chat", 1, terms, [], True))
    data = AccountInput(
        name="Globex Chat",
        email="billing@globex.example",
        currency="USD",
        time_zone="America/New_York",
        locale="en_US",
    )
    account = open_account(uow(), clock, org, data)
    subscribe(uow(), clock, org, SubscribeInput(account.id, "chat-team", "month", 2))
    run_billing(uow(), clock, org, grace=timedelta(0))
    return account


def _enter(app: LiveApp, page: Page, account: Account) -> None:
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, account.organization_id, account.id
    )
    page.goto(f"{app.url}/portal/enter?token={link.token}")


def _fits(page: Page, step: str) -> None:
    """No sideways scroll at 390 px; a screenshot of the step."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{step}: the page is {width} px wide"
    page.screenshot(path=str(_shots() / f"portal_payments-{step}.png"), full_page=True)


def _add_card(page: Page, number: str) -> None:
    form = page.locator("#card-form")
    form.get_by_label("Card number").fill(number)
    form.get_by_label("Expiry month").fill("12")
    form.get_by_label("Expiry year").fill("2030")
    form.get_by_label("Security code (CVC)").fill("123")
    form.get_by_role("button", name="Add card").click()


def test_add_a_card_top_up_and_pay_an_invoice_then_see_them_in_the_history(
    live_app: LiveApp, phone: Page
) -> None:
    account = _billed_customer(live_app)
    _enter(live_app, phone, account)

    phone.get_by_role("button", name="Menu").click()
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Payment methods").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Payment methods")
    expect(phone.locator("#sandbox-note")).to_contain_text("4242 4242 4242 4242")
    _fits(phone, "1-payment-methods")
    _add_card(phone, "4242 4242 4242 4242")
    expect(phone.get_by_role("status")).to_have_text("The card was added.")
    expect(phone.locator("table.cards .card-name")).to_have_text(["Visa •••• 4242"])
    expect(phone.locator("#card-number")).to_have_value("")
    _fits(phone, "2-card-added")

    phone.goto(f"{live_app.url}/portal/balance")
    phone.get_by_label("Amount (USD)").fill("10.00")
    phone.get_by_role("button", name="Top up").click()
    expect(phone.get_by_role("status")).to_have_text("Your balance was topped up.")
    expect(phone.locator("#balance-amount")).to_have_text("$10.00")
    _fits(phone, "3-topped-up")

    live_app.clock.advance(timedelta(minutes=1))  # the history lists the payment after it
    phone.goto(f"{live_app.url}/portal/invoices")
    phone.get_by_role("link", name="Pay now INV-000001").click()
    expect(phone.locator("#amount-due")).to_have_text("$38.00")
    phone.get_by_label("Visa •••• 4242").check()
    _fits(phone, "4-choose")
    phone.get_by_role("button", name="Next").click()
    expect(phone.locator("#pay-from-balance")).to_have_text("$10.00")
    expect(phone.locator("#pay-card")).to_have_text("Visa •••• 4242")
    expect(phone.locator("#pay-to-card")).to_have_text("$28.00")
    _fits(phone, "5-review")
    phone.get_by_role("button", name="Pay $38.00").click()
    expect(phone.get_by_role("status")).to_have_text("The invoice is paid.")
    _fits(phone, "6-paid")

    phone.goto(f"{live_app.url}/portal/payments")
    rows = phone.locator("table.payments tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(
        [
            "Jan 31, 2026, 10:01:00\u202fAM (America/New_York)",
            "Invoice payment",
            "$28.00",
            "Visa •••• 4242",
            "Succeeded",
            "INV-000001",
        ]
    )
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("Top-up")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("$10.00")
    _fits(phone, "7-history")


def test_a_declined_card_shows_the_reason_beside_the_top_up_and_changes_nothing(
    live_app: LiveApp, phone: Page
) -> None:
    account = _billed_customer(live_app)
    _enter(live_app, phone, account)
    phone.goto(f"{live_app.url}/portal/payment-methods")
    _add_card(phone, "4000 0000 0000 9995")
    expect(phone.locator("table.cards .card-name")).to_have_text(["Visa •••• 9995"])

    phone.goto(f"{live_app.url}/portal/balance")
    phone.get_by_label("Amount (USD)").fill("20.00")
    phone.get_by_role("button", name="Top up").click()

    declined = phone.locator("#top-up #top-up-declined")
    expect(declined).to_contain_text("The top-up was declined: Your card has insufficient funds.")
    expect(phone.locator("#top-up-amount")).to_have_value("20.00")
    expect(phone.locator("#balance-amount")).to_have_text("$0.00")
    expect(phone.get_by_text("No movements yet.")).to_be_visible()
    _fits(phone, "8-declined")
    phone.goto(f"{live_app.url}/portal/payments")
    rows = phone.locator("table.payments tbody tr")
    expect(rows).to_have_count(1)  # the failed attempt only: nothing succeeded
    expect(rows.nth(0).locator("td").nth(4)).to_contain_text("Failed")
    expect(rows.nth(0).locator(".decline-reason")).to_have_text("Your card has insufficient funds.")
    _fits(phone, "9-history-declined")
