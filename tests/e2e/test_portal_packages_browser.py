"""Acceptance (seed 004): on a 360 px phone a customer opens Packages from the Plans tab, adds
a package (reviewed with its prorated amount, paid with the saved card) and removes another
(scheduled for the term end, as the chat family's policy says), in Chromium against the real
server with the built-in sandbox gateway.

The account (Tokyo, USD) holds Chat Business × 7 with the AI assistant and two Team Chat
workspaces ($312.00 a month) from Feb 1, 2026; on Feb 15, 14 of its 28 days remain: adding
the Ticket System ($15.00 a month) charges $7.50 now.
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
from plansmith.application.subscriptions.queries import list_subscriptions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import SCREENSHOTS, TIMEOUT_MS, LiveApp
from tests.e2e.every_page_support import layout_problems
from tests.integration.portal_packages_support import HELD_ADD_ONS, chat_catalog

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 360, "height": 780}


def _customer(app: LiveApp) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    chat_catalog(app.container, org)
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
    return account


def _fits(page: Page, step: str) -> None:
    """Nothing wider than the phone, nothing cut off; a screenshot of the step."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert layout_problems(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal_packages-{step}.png"), full_page=True)


def _add_ons(app: LiveApp, account: Account) -> tuple[dict[str, int], dict[str, int] | None]:
    page = list_subscriptions(app.container.uow(), account.organization_id, account_id=account.id)
    [view] = page.items
    sub = view.subscription
    scheduled = dict(sub.scheduled.terms.add_ons) if sub.scheduled is not None else None
    return dict(sub.terms.add_ons), scheduled


def test_on_a_phone_a_package_is_added_and_paid_then_another_removed(
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
    try:
        page.goto(f"{live_app.url}/portal/enter?token={link.token}")
        page.goto(f"{live_app.url}/portal/plans?family=chat")
        page.get_by_role("link", name="Packages", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Packages: Chat platform packages"
        )
        expect(page.locator("#packages-total")).to_have_text("Total: $312.00 per month")
        _fits(page, "1-page")

        page.locator("#package-ticket-system").get_by_role("button", name="Add").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Review your change")
        expect(page.locator("#change-items tfoot td.amount")).to_have_text("$7.50")
        expect(page.locator("#review-total")).to_contain_text("Total: $327.00 per month")
        _fits(page, "2-review")
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.locator("#to-pay")).to_have_text("$7.50")
        _fits(page, "3-payment")
        page.get_by_role("button", name="Pay $7.50").click()

        expect(page.get_by_role("status")).to_have_text(
            "Your plan was changed and the payment was received."
        )
        expect(page.locator("#packages-total")).to_have_text("Total: $327.00 per month")
        assert _add_ons(live_app, account) == ({**HELD_ADD_ONS, "ticket-system": 1}, None)

        row = page.locator("#package-ai-assistant")
        row.get_by_role("button", name="Remove").click()
        expect(page.locator("#takes-effect")).to_contain_text("At the end of the term")
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("status")).to_have_text("Your change is scheduled for Mar 1, 2026.")
        expect(page.locator("#scheduled-ai-assistant")).to_have_text("Removed on Mar 1, 2026.")
        _fits(page, "4-removed")
        held, after = _add_ons(live_app, account)
        assert held == {**HELD_ADD_ONS, "ticket-system": 1}
        assert after == {"team-chat-integration": 2, "ticket-system": 1}
    finally:
        context.close()
