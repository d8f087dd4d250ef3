"""Shared by the portal's phone tests of the chat family (Packages, allowance bars, packs):
the customer, signed in through a portal link on a 360 px phone, and the layout check."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

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

PHONE: ViewportSize = {"width": 360, "height": 780}


def chat_customer(app: LiveApp, *, chatbot_sessions: int | None = None) -> Account:
    """Northwind Chat (Tokyo, USD) on Chat Business x 7 with the held add-ons from Feb 1 and a
    saved card, 14 days on; with ``chatbot_sessions``, the usage catalog and that many
    sessions used."""
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    chat_catalog(app.container, org)
    if chatbot_sessions is not None:
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
    if chatbot_sessions is not None:
        sessions(app.container, org, account, chatbot_sessions)
    return account


def on_a_phone(app: LiveApp, browser: Browser, account: Account) -> tuple[BrowserContext, Page]:
    """A phone-sized page that has entered the account's portal through a fresh link."""
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    c = app.container
    link = create_portal_link(c.uow(), app.clock, c.signer, account.organization_id, account.id)
    page.goto(f"{app.url}/portal/enter?token={link.token}")
    return context, page


def fits(page: Page, name: str) -> None:
    """Nothing wider than the phone, nothing cut off; a screenshot named ``name``."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert layout_problems(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
