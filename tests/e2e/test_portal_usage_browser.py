"""Acceptance (issue 15 points 6 and 7, seed 004): on a 360 px phone, in Chromium against the
real server with the sandbox gateway, the customer sees the chatbot sessions bar on the
Packages page, buys an extra pack (reviewed, paid with the saved card) and sees it active at
once with the bar moved; adds a package and sees the estimate before and after on the Review
and the prediction card change; then removes it.

The account (Tokyo, USD) holds Chat Business x 7 with the AI assistant and two Team Chat
workspaces ($312.00 a month, 5,000 sessions) from Feb 1, 2026; on Feb 15 it has used 1,200
sessions (sent through the ingest use case) and 14 of its 28 days remain.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.organizations.organizations import (
    create_organization,
    create_portal_link,
)
from plansmith.application.payments.methods import add_card
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import SCREENSHOTS, TIMEOUT_MS, LiveApp
from tests.e2e.every_page_support import layout_problems
from tests.integration.portal_packages_support import HELD_ADD_ONS, chat_catalog
from tests.integration.portal_usage_support import sessions, usage_catalog

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 360, "height": 780}


def _customer(app: LiveApp) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    chat_catalog(app.container, org)
    usage_catalog(app.container, org)
    data = AccountInput(
        name="Northwind Chat",
        email="ap@northwind-chat.example",
        currency="USD",
        time_zone="Asia/Tokyo",
        locale="en_US",
    )
    account = open_account(uow(), clock, org, data)
    terms = SubscribeInput(account.id, "chat-business", "month", 7, add_ons=HELD_ADD_ONS)
    subscribe(uow(), clock, org, terms)
    gateway = app.container.gateway_for(org)
    add_card(uow(), gateway, clock, org, account.id, source="tok_sandbox_success")
    clock.advance(timedelta(days=14))
    sessions(app.container, org, account, 1200)
    return account


def _fits(page: Page, step: str) -> None:
    """Nothing wider than the phone, nothing cut off; a screenshot of the step."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert layout_problems(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal_usage-{step}.png"), full_page=True)


def test_on_a_phone_the_bar_moves_with_a_pack_and_the_estimate_with_a_package(
    live_app: LiveApp, browser: Browser
) -> None:
    account = _customer(live_app)
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    link = create_portal_link(
        live_app.container.uow(),
        live_app.clock,
        live_app.container.signer,
        account.organization_id,
        account.id,
    )
    bar = page.locator("#bar-chatbot_sessions")
    figures = page.locator("#allowance-chatbot_sessions-figures")
    totals = page.locator("#prediction-totals")
    try:
        page.goto(f"{live_app.url}/portal/enter?token={link.token}")
        page.goto(f"{live_app.url}/portal/plans/chat/packages")
        expect(figures).to_have_text("1,200 used of 5,000")
        expect(bar).to_have_attribute("value", "1200")
        expect(bar).to_have_attribute("max", "5000")
        expect(page.locator("#allowance-chatbot_sessions")).to_contain_text(
            "3,800 remaining; resets on Mar 1, 2026."
        )
        expect(totals).to_contain_text("$167.15 so far, $312.00 estimated at period end")
        _fits(page, "1-bars")

        page.locator("#pack-choice").select_option("chatbot-sessions-1000")
        page.locator("#pack-quantity").fill("1")
        page.get_by_role("button", name="Review purchase").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Review your extra pack")
        expect(page.locator("#pack-charged-now")).to_have_text("$20.00")
        expect(page.locator("#pack-card")).to_contain_text("•••• 4242")
        _fits(page, "2-pack-review")
        page.get_by_role("button", name="Pay $20.00").click()

        expect(page.get_by_role("status")).to_contain_text("Your extra pack is active")
        expect(figures).to_have_text("1,200 used of 6,000")
        expect(bar).to_have_attribute("max", "6000")
        expect(page.locator("#allowance-chatbot_sessions")).to_contain_text(
            "1,000 from extra packs"
        )
        expect(page.locator("#packs-bought")).to_contain_text("Active")
        _fits(page, "3-pack-active")

        page.locator("#package-ticket-system").get_by_role("button", name="Add").click()
        expect(page.locator("#estimate-before")).to_have_text("$312.00")
        expect(page.locator("#estimate-after")).to_have_text("$319.50")
        expect(page.locator("#estimate-change")).to_have_text("+$7.50")
        _fits(page, "4-add-review")
        page.get_by_role("button", name="Continue to payment").click()
        page.get_by_role("button", name="Pay $7.50").click()
        expect(page.get_by_role("status")).to_have_text(
            "Your plan was changed and the payment was received."
        )
        expect(totals).to_contain_text("$319.50 estimated at period end")

        page.locator("#package-ticket-system").get_by_role("button", name="Remove").click()
        expect(page.locator("#takes-effect")).to_contain_text("At the end of the term")
        expect(page.locator("#estimate-after")).to_have_text("$319.50")
        _fits(page, "5-remove-review")
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("status")).to_have_text("Your change is scheduled for Mar 1, 2026.")
        expect(page.locator("#scheduled-ticket-system")).to_have_text("Removed on Mar 1, 2026.")
        _fits(page, "6-removed")
    finally:
        context.close()
