"""Acceptance (seed 004): on a 360 px phone a customer opens Packages from the Plans tab, adds
a package (reviewed with its prorated amount, paid with the saved card) and removes another
(scheduled for the term end, as the chat family's policy says), in Chromium against the real
server with the built-in sandbox gateway.

The account (Tokyo, USD) holds Chat Business × 7 with the AI assistant and two Team Chat
workspaces ($312.00 a month) from Feb 1, 2026; on Feb 15, 14 of its 28 days remain: adding
the Ticket System ($15.00 a month) charges $7.50 now.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from plansmith.application.subscriptions.queries import list_subscriptions
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import LiveApp
from tests.e2e.portal_chat_support import chat_customer, fits, on_a_phone
from tests.integration.portal_packages_support import HELD_ADD_ONS

pytestmark = pytest.mark.browser


def _fits(page: Page, step: str) -> None:
    fits(page, f"portal_packages-{step}")


def _add_ons(app: LiveApp, account: Account) -> tuple[dict[str, int], dict[str, int] | None]:
    page = list_subscriptions(app.container.uow(), account.organization_id, account_id=account.id)
    [view] = page.items
    sub = view.subscription
    scheduled = dict(sub.scheduled.terms.add_ons) if sub.scheduled is not None else None
    return dict(sub.terms.add_ons), scheduled


def test_on_a_phone_a_package_is_added_and_paid_then_another_removed(
    live_app: LiveApp, browser: Browser
) -> None:
    account = chat_customer(live_app)
    context, page = on_a_phone(live_app, browser, account)
    try:
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
