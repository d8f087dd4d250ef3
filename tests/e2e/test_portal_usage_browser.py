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

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveApp
from tests.e2e.portal_chat_support import chat_customer, fits, on_a_phone

pytestmark = pytest.mark.browser


def _fits(page: Page, step: str) -> None:
    fits(page, f"portal_usage-{step}")


def test_on_a_phone_the_bar_moves_with_a_pack_and_the_estimate_with_a_package(
    live_app: LiveApp, browser: Browser
) -> None:
    account = chat_customer(live_app, chatbot_sessions=1200)
    context, page = on_a_phone(live_app, browser, account)
    bar = page.locator("#bar-chatbot_sessions")
    figures = page.locator("#allowance-chatbot_sessions-figures")
    totals = page.locator("#prediction-totals")
    try:
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
