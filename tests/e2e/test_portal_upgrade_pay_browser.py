"""Acceptance: a customer upgrades in the portal on a phone (390 × 844) and pays for it (seed
002: choose, review, choose a payment method, pay), in Chromium against the real server with
the built-in sandbox gateway. A declined card says why beside the payment choice and changes
nothing; a card that succeeds changes the plan.

The catalog: Chat Team ($19.00 a seat a month) and Chat Business ($39.00, at least 3 seats).
The account (New York, USD) holds Chat Team × 2 from Jan 31, 2026; on Feb 14, 14 of its 28
days remain: the upgrade to Business × 5 credits $19.00 and charges $97.50, $78.50 now.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import (
    create_organization,
    create_portal_link,
)
from plansmith.application.subscriptions.lifecycle import OPERATOR
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import SCREENSHOTS, TIMEOUT_MS, LiveApp

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}


def _customer(app: LiveApp) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    for code, name, rank, terms in (
        ("chat-team", "Chat Team", 1, {"base_prices": {"USD": 1900}}),
        ("chat-business", "Chat Business", 2, {"base_prices": {"USD": 3900}, "min_seats": 3}),
    ):
        create_plan(uow(), clock, org, PlanInput(code, name, "chat", rank, terms, ["portal"], True))
    data = AccountInput(
        name="Globex Chat",
        email="billing@globex.example",
        currency="USD",
        time_zone="America/New_York",
        locale="en_US",
    )
    account = open_account(uow(), clock, org, data)
    subscribe(uow(), clock, org, SubscribeInput(account.id, "chat-team", "month", 2), OPERATOR)
    clock.advance(timedelta(days=14))
    return account


def _portal_url(app: LiveApp, account: Account) -> str:
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, account.organization_id, account.id
    )
    return f"{app.url}/portal/enter?token={link.token}"


def _fill_card(page: Page, number: str) -> None:
    page.get_by_label("A new card").check()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("2030")
    page.get_by_label("CVC").fill("123")


def _shot(page: Page, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal_upgrade_pay-{step}.png"), full_page=True)


def _plans_main(page: Page, app: LiveApp) -> str:
    """The Plans page's main content, fetched in the page's session."""
    html = page.request.get(f"{app.url}/portal/plans?family=chat").text()
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _fits(page: Page) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_upgrade_on_a_phone_a_declined_card_says_why_then_a_good_card_pays(
    live_app: LiveApp, browser: Browser
) -> None:
    account = _customer(live_app)
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(_portal_url(live_app, account))
        plans_before = _plans_main(page, live_app)
        page.goto(f"{live_app.url}/portal/plans?family=chat")
        page.get_by_role("link", name="Change Plan").click()
        page.get_by_label("Chat Business").check()
        page.get_by_label("Quantity").fill("5")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Review your change")
        expect(page.locator("#change-items tfoot td.amount")).to_have_text("$78.50")
        page.get_by_role("button", name="Continue to payment").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Pay for your change")
        expect(page.locator("#to-pay")).to_have_text("$78.50")
        lines = page.locator("#pay-lines tbody tr td.amount")
        expect(lines).to_have_text(["-$19.00", "$97.50"])
        _fits(page)
        _shot(page, "1-payment")
        _fill_card(page, "4000 0000 0000 9995")  # the sandbox declines it: insufficient funds
        page.get_by_role("button", name="Pay $78.50").click()

        declined = page.locator("#pay-declined")
        expect(declined).to_have_text(
            "Your card was declined: Your card has insufficient funds. Your plan was not changed."
        )
        expect(page.locator("#pay-with-field")).to_have_attribute(
            "aria-describedby", "pay-declined"
        )
        _fits(page)
        _shot(page, "2-declined")
        assert _plans_main(page, live_app) == plans_before  # the plans page is as it was

        _fill_card(page, "4242 4242 4242 4242")
        page.get_by_role("button", name="Pay $78.50").click()

        expect(page.get_by_role("status")).to_have_text(
            "Your plan was changed and the payment was received."
        )
        held = page.locator("dl.current-plan")
        expect(held).to_contain_text("Chat Business")
        expect(held).to_contain_text("$39.00 × 5 = $195.00 per month")
        _fits(page)
        _shot(page, "3-paid")
    finally:
        context.close()
