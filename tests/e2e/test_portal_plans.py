"""Acceptance: a customer changes plan in the portal, in Chromium against the real server.

The operator's catalog: Chat Team ($19.00 a seat a month) and Chat Business ($39.00 a seat a
month, at least 3 seats), both on the portal. The account (New York, USD) holds Chat Team x 2
from Jan 31, 2026: its period is Jan 31 - Feb 28, 28 days. On Feb 14, 14 of them remain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

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
from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]


def _customer_on_chat_team(app: LiveApp) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    for code, name, rank, terms in (
        ("chat-team", "Chat Team", 1, {"base_prices": {"USD": 1900}}),
        ("chat-business", "Chat Business", 2, {"base_prices": {"USD": 3900}, "min_seats": 3}),
    ):
        terms = {**terms, "cycle_discounts": {"year": "20"}}
        create_plan(uow(), clock, org, PlanInput(code, name, "chat", rank, terms, ["portal"], True))
    data = AccountInput(
        name="Globex Chat",
        email="billing@globex.example",
        currency="USD",
        time_zone="America/New_York",
        locale="en_US",
    )
    account = open_account(uow(), clock, org, data)
    seats = SubscribeInput(account.id, "chat-team", "month", 2)
    subscribe(uow(), clock, org, seats, actor=OPERATOR)  # Jan 31, 10:00 in New York
    clock.advance(timedelta(days=14))  # Feb 14: mid-period
    return account


def _portal_url(app: LiveApp, account: Account) -> str:
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, account.organization_id, account.id
    )
    return f"{app.url}/portal/enter?token={link.token}"


def test_customer_upgrades_to_a_higher_plan_with_more_seats(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    account = _customer_on_chat_team(live_app)
    page.goto(_portal_url(live_app, account))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")
    held = page.locator("dl.current-plan")
    expect(held).to_contain_text("Chat Team")
    expect(held).to_contain_text("$19.00 × 2 = $38.00 per month")
    expect(held).to_contain_text("Feb 28, 2026")
    screenshot("1-plans")

    page.get_by_role("link", name="Change Plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change plan: Chat platform packages")
    screenshot("2-change-plan")
    page.get_by_label("Chat Business").check()
    page.get_by_label("Quantity").fill("5")
    expect(page.locator("#total")).to_have_text("$39.00 × 5 = $195.00 per month")  # 39.00 x 5
    screenshot("3-chosen")

    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your change")
    expect(page.locator("#review-total")).to_have_text("$39.00 × 5 = $195.00 per month")
    expect(page.locator("#takes-effect")).to_have_text("Now, on Feb 14, 2026.")
    change = page.locator("#change-items tbody tr")
    expect(change).to_have_count(2)
    # credit: Chat Team 38.00 x 14/28 = 19.00; charge: Chat Business 195.00 x 14/28 = 97.50
    expect(change.nth(0)).to_contain_text("Credit for unused time")
    expect(change.nth(0)).to_contain_text("14 of 28")
    expect(change.nth(0).locator("td.amount")).to_have_text("-$19.00")
    expect(change.nth(1)).to_contain_text("Charge for remaining time")
    expect(change.nth(1).locator("td.amount")).to_have_text("$97.50")
    expect(page.locator("#change-items tfoot td.amount")).to_have_text("$78.50")  # -19 + 97.50
    # The next invoice as the Invoices page shows it (the billing run's): the first period,
    # never invoiced, is billed today: 38.00; the change is invoiced and paid at once.
    nxt = page.locator("#next-invoice")
    expect(nxt.locator(".plan-of-invoice")).to_have_text("Chat Business")
    expect(nxt.locator("dl.invoice-facts")).to_contain_text("Cut-off date")
    expect(nxt.locator("dl.invoice-facts")).to_contain_text("Feb 14, 2026")
    expect(nxt.locator("tr.grand td.amount")).to_have_text("$38.00")
    screenshot("4-review")

    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("A new card").check()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("2030")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay $78.50").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your plan was changed and the payment was received."
    )
    held = page.locator("dl.current-plan")
    expect(held).to_contain_text("Chat Business")
    expect(held).to_contain_text("$39.00 × 5 = $195.00 per month")
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(["Chat Business", "Active", "Feb 14, 2026", "—"])
    expect(rows.nth(1).locator("td")).to_have_text(
        ["Chat Team", "Replaced", "Jan 31, 2026", "Feb 13, 2026"]  # its last day
    )
    screenshot("5-changed")
